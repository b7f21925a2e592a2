"""Managing satellites through the management API (the /satellite/... routes are tested elsewhere)."""

from tests.integration.api.stack import add_configuration, add_system, assign, store_items


def test_created_satellite_gets_a_token_shown_once(stack):
    # given / when
    answer = stack.call("POST", "/satellites", {"id": "eu-1", "name": "Frankfurt", "region": "eu-central-1"})
    # then
    assert answer.status == 201, answer.body
    assert set(answer.body) == {"satellite", "token"}
    assert answer.body["satellite"]["id"] == "eu-1"
    assert answer.body["satellite"]["online"] is False
    assert answer.body["satellite"]["lastSeenAt"] is None
    listed = stack.call("GET", "/satellites")
    assert listed.status == 200, listed.body
    assert listed.body["items"] == [answer.body["satellite"]]
    assert answer.body["token"].split(".")[-1] not in str(store_items())


def test_duplicate_satellite_is_a_conflict(stack):
    # given
    stack.call("POST", "/satellites", {"id": "eu-1", "name": "Frankfurt"})
    # when
    answer = stack.call("POST", "/satellites", {"id": "eu-1", "name": "Other"})
    # then
    assert answer.status == 409
    assert answer.error_code == "CONFLICT"


def test_rotate_token_replaces_the_old_one(stack):
    # given
    old = stack.call("POST", "/satellites", {"id": "eu-1", "name": "Frankfurt"}).body["token"]
    # when
    answer = stack.call("POST", "/satellites/eu-1/rotate-token")
    # then
    assert answer.status == 200, answer.body
    assert answer.body["token"] != old
    assert answer.body["satellite"]["id"] == "eu-1"
    assert stack.call("POST", "/satellite/heartbeat", {}, key=old).status == 401
    assert stack.call("POST", "/satellite/heartbeat", {}, key=answer.body["token"]).status == 204


def test_rotate_or_delete_of_unknown_satellite_is_not_found(stack):
    # given / when
    rotate = stack.call("POST", "/satellites/ghost/rotate-token")
    delete = stack.call("DELETE", "/satellites/ghost")
    # then
    assert (rotate.status, rotate.error_code) == (404, "NOT_FOUND")
    assert (delete.status, delete.error_code) == (404, "NOT_FOUND")


def test_deleted_satellite_leaves_every_assignment(stack):
    # given
    add_system(stack, "shop")
    add_configuration(stack, "web")
    stack.call("POST", "/satellites", {"id": "eu-1", "name": "Frankfurt"})
    stack.call("POST", "/satellites", {"id": "us-1", "name": "Virginia"})
    assign(stack, "shop", "web", {"satelliteIds": ["eu-1", "us-1"]})
    # when
    answer = stack.call("DELETE", "/satellites/eu-1")
    # then
    assert answer.status == 204
    [check] = stack.call("GET", "/systems/shop/checks").body["items"]
    assert check["satelliteIds"] == ["us-1"]
    assert [s["id"] for s in stack.call("GET", "/satellites").body["items"]] == ["us-1"]
    assert [i for i in store_items() if "eu-1" in i["pk"]["S"]] == []
