"""Satellite tokens: shown once, rotated and revoked at once, and kept apart from management keys."""

import json

import pytest

from tests.integration.api.stack import ADMIN_KEY, add_configuration, add_system, assign, new_key
from tests.integration.satellite_api.fleet import (
    add_satellite,
    health,
    hold_clock,
    post_results,
    pulled,
    result,
)

SATELLITE_FIELDS = {"id", "name", "region", "createdAt", "lastSeenAt", "online"}


def test_token_is_shown_on_create_and_never_listed(stack):
    # given
    satellite = add_satellite(stack, "eu-1", "Frankfurt", "eu-central-1")
    # when
    listed = stack.call("GET", "/satellites")
    # then
    assert listed.status == 200, listed.body
    [item] = listed.body["items"]
    assert set(item) == SATELLITE_FIELDS
    assert (item["id"], item["name"], item["region"]) == ("eu-1", "Frankfurt", "eu-central-1")
    secret = satellite.token.rsplit(".", 1)[1]
    assert secret not in json.dumps(listed.body)
    assert "token" not in json.dumps(listed.body).lower()


def test_rotation_answers_a_new_token_without_stored_secrets(stack):
    # given
    satellite = add_satellite(stack, "eu-1")
    # when
    rotated = stack.call("POST", "/satellites/eu-1/rotate-token")
    # then
    assert rotated.status == 200, rotated.body
    assert set(rotated.body) == {"satellite", "token"}
    assert set(rotated.body["satellite"]) == SATELLITE_FIELDS
    assert rotated.body["token"] != satellite.token


def test_rotation_refuses_the_old_token_at_once_and_admits_the_new(stack):
    # given
    satellite = add_satellite(stack, "eu-1")
    assert pulled(stack, satellite).status == 200
    # when
    new_token = stack.call("POST", "/satellites/eu-1/rotate-token").body["token"]
    # then
    old = stack.call("GET", "/satellite/assignments", key=satellite.token)
    assert (old.status, old.error_code) == (401, "UNAUTHENTICATED")
    assert stack.call("GET", "/satellite/assignments", key=new_token).status == 200


def test_deleted_satellite_is_refused_and_leaves_every_assignment(stack):
    # given
    hold_clock()
    satellite = add_satellite(stack, "eu-1")
    add_satellite(stack, "us-1")
    add_configuration(stack, "web")
    for system_id in ("shop", "blog"):
        add_system(stack, system_id)
        assign(stack, system_id, "web", {"satelliteIds": ["eu-1", "us-1"]})
    # when
    deleted = stack.call("DELETE", "/satellites/eu-1")
    # then
    assert deleted.status == 204
    refused = pulled(stack, satellite)
    assert (refused.status, refused.error_code) == (401, "UNAUTHENTICATED")
    for system_id in ("shop", "blog"):
        [check] = stack.call("GET", f"/systems/{system_id}/checks").body["items"]
        assert check["satelliteIds"] == ["us-1"]
    assert [s["id"] for s in stack.call("GET", "/satellites").body["items"]] == ["us-1"]


def test_deleting_the_failing_satellite_clears_its_slice_from_cached_health(stack):
    # given: the cache holds a health view in which eu-1 fails the check
    clock = hold_clock()
    satellite = add_satellite(stack, "eu-1")
    add_system(stack, "shop")
    add_configuration(stack, "web")
    assign(stack, "shop", "web", {"satelliteIds": ["eu-1"], "includeLocal": True})
    from tests.integration.satellite_api.fleet import record_local

    record_local("shop", "web", "healthy", clock.now)
    post_results(stack, satellite, [result("shop", "web", clock.now, status="unhealthy") for _ in range(3)])
    before = health(stack, "shop")
    assert before["status"] == "unhealthy"
    stack.published.events.clear()
    # when
    assert stack.call("DELETE", "/satellites/eu-1").status == 204
    # then
    after = health(stack, "shop")
    assert after["status"] == "healthy"
    assert [s["sourceId"] for s in after["checks"][0]["sources"]] == ["local"]
    changes = stack.published.of_type("System Health Changed")
    assert [(c["previousStatus"], c["newStatus"]) for c in changes] == [("unhealthy", "healthy")]
    assert all(c["cacheInvalidated"] is True for c in changes)


def test_deleting_a_satellite_that_was_the_only_source_disables_the_check(stack):
    # given
    add_satellite(stack, "eu-1")
    add_system(stack, "shop")
    add_configuration(stack, "web")
    assign(stack, "shop", "web", {"satelliteIds": ["eu-1"], "includeLocal": False})
    # when
    stack.call("DELETE", "/satellites/eu-1")
    # then
    [check] = stack.call("GET", "/systems/shop/checks").body["items"]
    assert (check["satelliteIds"], check["enabled"]) == ([], False)


@pytest.mark.parametrize(
    "token",
    [
        "hcs.eu-1.not-the-secret",
        "hcs.nobody.whatever",
        "hcs.eu-1",
        "garbage",
    ],
    ids=["wrong-secret", "unknown-satellite", "no-secret", "not-a-token"],
)
def test_wrong_satellite_tokens_are_unauthenticated(stack, token):
    # given
    add_satellite(stack, "eu-1")
    # when
    answer = stack.call("POST", "/satellite/heartbeat", {}, key=token)
    # then
    assert (answer.status, answer.error_code) == (401, "UNAUTHENTICATED")


def test_missing_token_is_unauthenticated(stack):
    # when
    answer = stack.call("GET", "/satellite/assignments", key=None)
    # then
    assert (answer.status, answer.error_code) == (401, "UNAUTHENTICATED")


@pytest.mark.parametrize("role", ["bootstrap", "manager", "reader"])
def test_management_keys_are_refused_on_satellite_routes(stack, role):
    # given
    key = ADMIN_KEY if role == "bootstrap" else new_key(stack, role)
    # when
    answers = [
        stack.call("GET", "/satellite/assignments", key=key),
        stack.call("POST", "/satellite/heartbeat", {}, key=key),
        stack.call("POST", "/satellite/results", {"results": [{"resultId": "x"}]}, key=key),
    ]
    # then
    assert [(a.status, a.error_code) for a in answers] == [(401, "UNAUTHENTICATED")] * 3


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/systems", None),
        ("POST", "/systems", {"name": "Sneaky"}),
        ("GET", "/satellites", None),
        ("POST", "/satellites/eu-1/rotate-token", None),
        ("GET", "/systems/shop/health", None),
    ],
)
def test_satellite_token_is_refused_on_management_routes(stack, method, path, body):
    # given
    satellite = add_satellite(stack, "eu-1")
    add_system(stack, "shop")
    # when
    answer = stack.call(method, path, body, key=satellite.token)
    # then
    assert (answer.status, answer.error_code) == (401, "UNAUTHENTICATED")
    assert [s["name"] for s in stack.call("GET", "/systems").body["items"]] == ["Shop"]
