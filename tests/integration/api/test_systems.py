"""Systems: create, read, list, patch, delete, and the cascade of a delete."""

from tests.integration.api.stack import add_configuration, add_system, assign, store_items


def test_created_system_has_defaults_and_reads_back(stack):
    # given / when
    answer = stack.call("POST", "/systems", {"id": "shop", "name": "Shop"})
    # then
    assert answer.status == 201, answer.body
    assert answer.body["id"] == "shop"
    assert answer.body["description"] == ""
    assert answer.body["tags"] == []
    assert answer.body["version"] == 1
    assert answer.body["createdAt"].endswith("Z")
    assert stack.call("GET", "/systems/shop").body == answer.body


def test_system_without_id_gets_a_uuid(stack):
    # given / when
    answer = stack.call("POST", "/systems", {"name": "Anonymous", "tags": ["a", "b"]})
    # then
    assert answer.status == 201, answer.body
    assert len(answer.body["id"]) == 36
    assert stack.call("GET", f"/systems/{answer.body['id']}").body["tags"] == ["a", "b"]


def test_duplicate_system_id_is_a_conflict_and_keeps_the_first(stack):
    # given
    add_system(stack, "shop", description="first")
    before = store_items()
    # when
    answer = stack.call("POST", "/systems", {"id": "shop", "name": "Other"})
    # then
    assert answer.status == 409
    assert answer.error_code == "CONFLICT"
    assert store_items() == before


def test_unknown_system_is_not_found(stack):
    # given / when
    answer = stack.call("GET", "/systems/nope")
    # then
    assert answer.status == 404
    assert answer.error_code == "NOT_FOUND"


def test_patch_changes_only_given_fields_and_bumps_version(stack):
    # given
    add_system(stack, "shop", description="old", tags=["x"])
    # when
    answer = stack.call("PATCH", "/systems/shop", {"name": "Shop 2"})
    # then
    assert answer.status == 200, answer.body
    assert answer.body["name"] == "Shop 2"
    assert answer.body["description"] == "old"
    assert answer.body["tags"] == ["x"]
    assert answer.body["version"] == 2
    assert stack.call("GET", "/systems/shop").body == answer.body


def test_patch_with_current_if_match_succeeds(stack):
    # given
    add_system(stack, "shop")
    # when
    answer = stack.call("PATCH", "/systems/shop", {"description": "d"}, headers={"If-Match": '"1"'})
    # then
    assert answer.status == 200, answer.body
    assert answer.body["version"] == 2


def test_patch_with_stale_if_match_is_refused_and_changes_nothing(stack):
    # given
    add_system(stack, "shop")
    stack.call("PATCH", "/systems/shop", {"description": "first"})
    before = store_items()
    # when
    answer = stack.call("PATCH", "/systems/shop", {"description": "second"}, headers={"If-Match": "1"})
    # then
    assert answer.status == 412
    assert answer.error_code == "VERSION_MISMATCH"
    assert store_items() == before


def test_patch_with_malformed_if_match_is_a_bad_request(stack):
    # given
    add_system(stack, "shop")
    # when
    answer = stack.call("PATCH", "/systems/shop", {"description": "x"}, headers={"If-Match": "abc"})
    # then
    assert answer.status == 400
    assert answer.error_code == "BAD_REQUEST"


def test_patch_of_unknown_system_is_not_found(stack):
    # given / when
    answer = stack.call("PATCH", "/systems/ghost", {"name": "Ghost"})
    # then
    assert answer.status == 404
    assert answer.error_code == "NOT_FOUND"
    assert stack.call("GET", "/systems/ghost").status == 404


def test_delete_system_answers_204_then_404(stack):
    # given
    add_system(stack, "shop")
    # when
    first = stack.call("DELETE", "/systems/shop")
    second = stack.call("DELETE", "/systems/shop")
    # then
    assert first.status == 204
    assert first.body is None
    assert second.status == 404
    assert second.error_code == "NOT_FOUND"
    assert stack.call("GET", "/systems/shop").status == 404
    assert stack.call("GET", "/systems/shop/health").status == 404


def test_delete_system_removes_its_assignments_maintenance_and_links(stack):
    # given
    add_system(stack, "shop")
    add_system(stack, "other")
    add_configuration(stack, "web")
    assign(stack, "shop", "web")
    assign(stack, "other", "web")
    maintenance = stack.call(
        "POST",
        "/systems/shop/maintenances",
        {
            "title": "upgrade",
            "startsAt": "2030-01-01T00:00:00Z",
            "endsAt": "2030-01-01T01:00:00Z",
            "suppressNotifications": True,
        },
    )
    assert maintenance.status == 201, maintenance.body
    # when
    answer = stack.call("DELETE", "/systems/shop")
    # then
    assert answer.status == 204
    leftovers = [
        (i["pk"]["S"], i["sk"]["S"])
        for i in store_items()
        if "shop" in i["pk"]["S"] + i["sk"]["S"] and i["pk"]["S"] != "TOMBSTONES"
    ]  # retention's to-do
    assert leftovers == []
    assert [a["systemId"] for a in stack.call("GET", "/systems/other/checks").body["items"]] == ["other"]


def test_recreated_system_starts_clean(stack):
    # given
    add_system(stack, "shop", description="old")
    add_configuration(stack, "web")
    assign(stack, "shop", "web")
    stack.call(
        "POST",
        "/systems/shop/maintenances",
        {
            "title": "upgrade",
            "startsAt": "2030-01-01T00:00:00Z",
            "endsAt": "2030-01-01T01:00:00Z",
            "suppressNotifications": False,
        },
    )
    stack.call("DELETE", "/systems/shop")
    # when
    again = stack.call("POST", "/systems", {"id": "shop", "name": "Shop"})
    # then
    assert again.status == 201, again.body
    assert again.body["version"] == 1
    assert again.body["description"] == ""
    assert stack.call("GET", "/systems/shop/checks").body["items"] == []
    assert stack.call("GET", "/systems/shop/maintenances").body["items"] == []
    health = stack.call("GET", "/systems/shop/health").body
    assert health["status"] == "unknown"
    assert health["checks"] == []
