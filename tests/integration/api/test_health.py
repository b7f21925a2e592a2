"""System health reads: one system, and the batch read with its bounds."""

from tests.integration.api.stack import add_configuration, add_system, assign, store_items


def test_new_system_is_unknown_with_no_checks(stack):
    # given
    add_system(stack, "shop")
    # when
    answer = stack.call("GET", "/systems/shop/health")
    # then
    assert answer.status == 200, answer.body
    assert answer.body["systemId"] == "shop"
    assert answer.body["status"] == "unknown"
    assert answer.body["checks"] == []
    assert answer.body["evaluatedAt"].endswith("Z")
    assert answer.body["since"].endswith("Z")


def test_assigned_check_appears_in_health_as_unknown(stack):
    # given
    add_system(stack, "shop")
    add_configuration(stack, "web")
    assert stack.call("GET", "/systems/shop/health").body["checks"] == []  # warm the cache first
    # when
    assign(stack, "shop", "web")
    answer = stack.call("GET", "/systems/shop/health")
    # then
    assert answer.status == 200, answer.body
    assert answer.body["status"] == "unknown"
    [check] = answer.body["checks"]
    assert (check["configurationId"], check["configurationName"], check["status"], check["lastRunAt"]) == (
        "web",
        "Web",
        "unknown",
        None,
    )


def test_unassigned_check_leaves_health_even_when_cached(stack):
    # given
    add_system(stack, "shop")
    add_configuration(stack, "web")
    assign(stack, "shop", "web")
    assert len(stack.call("GET", "/systems/shop/health").body["checks"]) == 1
    # when
    stack.call("DELETE", "/systems/shop/checks/web")
    # then
    assert stack.call("GET", "/systems/shop/health").body["checks"] == []


def test_renamed_configuration_shows_in_cached_health(stack):
    # given
    add_system(stack, "shop")
    add_configuration(stack, "web")
    assign(stack, "shop", "web")
    assert stack.call("GET", "/systems/shop/health").body["checks"][0]["configurationName"] == "Web"
    # when
    stack.call("PATCH", "/configurations/web", {"name": "Website"})
    # then
    assert stack.call("GET", "/systems/shop/health").body["checks"][0]["configurationName"] == "Website"


def test_health_of_unknown_system_is_not_found(stack):
    # given / when
    answer = stack.call("GET", "/systems/ghost/health")
    # then
    assert answer.status == 404
    assert answer.error_code == "NOT_FOUND"


def test_deleted_system_health_is_not_found_even_when_cached(stack):
    # given
    add_system(stack, "shop")
    assert stack.call("GET", "/systems/shop/health").status == 200
    # when
    stack.call("DELETE", "/systems/shop")
    # then
    assert stack.call("GET", "/systems/shop/health").status == 404


def test_batch_answers_known_systems_and_lists_the_rest(stack):
    # given
    add_system(stack, "shop")
    add_system(stack, "blog")
    # when
    answer = stack.call("POST", "/health/batch", {"systemIds": ["shop", "ghost", "blog", "shop", "void"]})
    # then
    assert answer.status == 200, answer.body
    assert sorted(answer.body["statuses"]) == ["blog", "shop"]
    assert answer.body["statuses"]["shop"]["status"] == "unknown"
    assert answer.body["statuses"]["blog"]["systemId"] == "blog"
    assert answer.body["notFound"] == ["ghost", "void"]


def test_batch_of_a_thousand_ids_is_answered(stack):
    # given
    add_system(stack, "shop")
    ids = ["shop"] + [f"s-{n}" for n in range(999)]
    # when
    answer = stack.call("POST", "/health/batch", {"systemIds": ids})
    # then
    assert answer.status == 200, answer.body
    assert list(answer.body["statuses"]) == ["shop"]
    assert len(answer.body["notFound"]) == 999


def test_batch_over_a_thousand_ids_is_too_large(stack):
    # given: API.md's 413 row says "body over 256 KiB or batch over its limit"; 1001 ids is the latter
    ids = [f"s-{n}" for n in range(1001)]
    # when
    answer = stack.call("POST", "/health/batch", {"systemIds": ids})
    # then
    assert answer.status == 413, answer.body
    assert answer.error_code == "PAYLOAD_TOO_LARGE"


def test_empty_batch_and_bad_ids_are_refused(stack):
    # given
    before = store_items()
    # when
    empty = stack.call("POST", "/health/batch", {"systemIds": []})
    bad = stack.call("POST", "/health/batch", {"systemIds": ["shop", "Not Valid"]})
    missing = stack.call("POST", "/health/batch", {})
    # then
    assert (empty.status, empty.error_code) == (422, "VALIDATION_FAILED")
    assert (bad.status, bad.error_code) == (422, "VALIDATION_FAILED")
    assert [d["field"] for d in bad.body["error"]["details"]] == ["body.systemIds.1"]
    assert [d["field"] for d in missing.body["error"]["details"]] == ["body.systemIds"]
    assert store_items() == before
