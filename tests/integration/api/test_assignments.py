"""Assigning checks to systems: create or replace, list, unassign, and the events each publishes."""

import pytest

from tests.integration.api.stack import add_configuration, add_system, assign, store_items

ASSIGNMENT_CHANGED = "Health Check Assignment Changed"


@pytest.fixture
def shop(stack):
    add_system(stack, "shop")
    add_configuration(stack, "web")
    return stack


def test_put_creates_an_assignment_with_defaults(shop):
    # given / when
    answer = shop.call("PUT", "/systems/shop/checks/web", {})
    # then
    assert answer.status == 200, answer.body
    assert answer.body == {
        "systemId": "shop",
        "configurationId": "web",
        "configurationName": "Web",
        "strategyId": "http",
        "enabled": True,
        "stateThresholds": {
            "mode": "consecutive",
            "degradedAfter": 1,
            "unhealthyAfter": 3,
            "recoverAfter": 1,
        },
        "satelliteIds": [],
        "includeLocal": True,
        "quorum": {"mode": "any"},
        "retention": {"rawDays": 7, "hourlyDays": 30, "dailyDays": 365},
        "status": "unknown",
        "lastRunAt": None,
        "version": 1,
    }


def test_assigned_check_is_listed_with_its_configuration_and_unknown_status(shop):
    # given
    assign(shop, "shop", "web")
    # when
    answer = shop.call("GET", "/systems/shop/checks")
    # then
    assert answer.status == 200, answer.body
    [check] = answer.body["items"]
    assert (check["configurationId"], check["configurationName"], check["strategyId"], check["status"]) == (
        "web",
        "Web",
        "http",
        "unknown",
    )


def test_put_again_replaces_settings_and_bumps_version(shop):
    # given
    assign(shop, "shop", "web")
    # when
    answer = shop.call(
        "PUT",
        "/systems/shop/checks/web",
        {
            "enabled": False,
            "stateThresholds": {
                "mode": "window",
                "windowSize": 5,
                "degradedAfter": 2,
                "unhealthyAfter": 4,
                "recoverAfter": 2,
            },
            "quorum": {"mode": "majority"},
            "retention": {"rawDays": 3, "hourlyDays": 14, "dailyDays": 90},
        },
    )
    # then
    assert answer.status == 200, answer.body
    assert answer.body["version"] == 2
    assert answer.body["enabled"] is False
    assert answer.body["stateThresholds"]["mode"] == "window"
    assert answer.body["quorum"] == {"mode": "majority"}
    [listed] = shop.call("GET", "/systems/shop/checks").body["items"]
    assert listed == answer.body


def test_put_with_stale_if_match_is_a_version_mismatch(shop):
    # given
    assign(shop, "shop", "web")
    assign(shop, "shop", "web", {"enabled": False})
    before = store_items()
    # when
    answer = shop.call("PUT", "/systems/shop/checks/web", {"enabled": True}, headers={"If-Match": "1"})
    # then
    assert answer.status == 412
    assert answer.error_code == "VERSION_MISMATCH"
    assert store_items() == before


def test_put_with_current_if_match_replaces(shop):
    # given
    assign(shop, "shop", "web")
    # when
    answer = shop.call("PUT", "/systems/shop/checks/web", {"enabled": False}, headers={"If-Match": "1"})
    # then
    assert answer.status == 200, answer.body
    assert answer.body["version"] == 2


@pytest.mark.parametrize("path", ["/systems/ghost/checks/web", "/systems/shop/checks/ghost"])
def test_put_for_unknown_system_or_configuration_is_not_found(shop, path):
    # given
    before = store_items()
    # when
    answer = shop.call("PUT", path, {})
    # then
    assert answer.status == 404
    assert answer.error_code == "NOT_FOUND"
    assert store_items() == before


def test_put_naming_an_unknown_satellite_is_a_field_error(shop):
    # given
    before = store_items()
    # when
    answer = shop.call("PUT", "/systems/shop/checks/web", {"satelliteIds": ["eu-1"]})
    # then
    assert answer.status == 422
    assert answer.error_code == "VALIDATION_FAILED"
    assert answer.body["error"]["details"] == [
        {"field": "body.satelliteIds.0", "message": "no satellite eu-1"}
    ]
    assert store_items() == before


@pytest.mark.parametrize(
    "body, field",
    [
        ({"includeLocal": False}, "body"),
        ({"retention": {"rawDays": 10, "hourlyDays": 8, "dailyDays": 365}}, "body.retention"),
        (
            {"stateThresholds": {"mode": "consecutive", "degradedAfter": 5, "unhealthyAfter": 2}},
            "body.stateThresholds",
        ),
        ({"quorum": {"mode": "most"}}, "body.quorum.mode"),
        ({"enabled": "yes please"}, "body.enabled"),
        ({"satelliteIds": ["Not_An_Id"]}, "body.satelliteIds.0"),
    ],
)
def test_invalid_assignment_settings_are_refused(shop, body, field):
    # given
    before = store_items()
    # when
    answer = shop.call("PUT", "/systems/shop/checks/web", body)
    # then
    assert answer.status == 422, answer.body
    assert answer.error_code == "VALIDATION_FAILED"
    assert any(d["field"].startswith(field) for d in answer.body["error"]["details"]), answer.body
    assert store_items() == before


def test_delete_unassigns_and_a_second_delete_is_not_found(shop):
    # given
    assign(shop, "shop", "web")
    # when
    first = shop.call("DELETE", "/systems/shop/checks/web")
    second = shop.call("DELETE", "/systems/shop/checks/web")
    # then
    assert first.status == 204
    assert second.status == 404
    assert second.error_code == "NOT_FOUND"
    assert shop.call("GET", "/systems/shop/checks").body["items"] == []
    assert [i for i in store_items() if i["sk"]["S"].startswith("ASSIGN#")] == []


def test_checks_of_unknown_system_is_not_found(stack):
    # given / when
    answer = stack.call("GET", "/systems/ghost/checks")
    # then
    assert answer.status == 404
    assert answer.error_code == "NOT_FOUND"


def test_refused_put_publishes_nothing(shop):
    # given
    assign(shop, "shop", "web")
    shop.published.events.clear()
    # when
    shop.call("PUT", "/systems/shop/checks/web", {"enabled": True}, headers={"If-Match": "7"})
    shop.call("PUT", "/systems/shop/checks/web", {"quorum": {"mode": "most"}})
    # then
    assert shop.published.events == []
