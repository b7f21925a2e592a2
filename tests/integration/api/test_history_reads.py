"""Runs, history, transitions, availability, maintenance and the analysis feed: empty data and bad queries."""

import base64
import json

import pytest

from tests.integration.api.stack import add_configuration, add_system, assign, new_key, store_items


@pytest.fixture
def shop(stack):
    add_system(stack, "shop")
    add_configuration(stack, "web")
    assign(stack, "shop", "web")
    return stack


def test_runs_of_a_check_without_runs_is_an_empty_page(shop):
    # given / when
    answer = shop.call(
        "GET", "/systems/shop/checks/web/runs", query={"source": "local", "status": "unhealthy", "limit": "5"}
    )
    # then
    assert answer.status == 200, answer.body
    assert answer.body == {"items": [], "nextCursor": None}


def test_history_without_runs_has_empty_buckets(shop):
    # given / when
    answer = shop.call(
        "GET",
        "/systems/shop/checks/web/history",
        query={"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z", "points": "24"},
    )
    # then
    assert answer.status == 200, answer.body
    assert answer.body["bucketSeconds"] == 3600
    assert all(b["runCount"] == 0 for b in answer.body["buckets"])
    assert len(answer.body["buckets"]) <= 24


def test_transitions_of_a_new_system_are_empty(shop):
    # given / when
    answer = shop.call("GET", "/systems/shop/transitions")
    # then
    assert answer.status == 200, answer.body
    assert answer.body == {"items": [], "nextCursor": None}


@pytest.mark.parametrize(
    "query", [{}, {"window": "7d"}, {"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}]
)
def test_availability_of_a_system_without_runs_is_unknown(shop, query):
    # given / when
    answer = shop.call("GET", "/systems/shop/availability", query=query)
    # then
    assert answer.status == 200, answer.body
    assert answer.body["systemId"] == "shop"
    assert answer.body["availability"] is None
    assert answer.body["uptimeSeconds"] == 0
    assert answer.body["downtimeSeconds"] == 0
    assert answer.body["unknownSeconds"] > 0
    [check] = answer.body["checks"]
    assert check["configurationId"] == "web"
    assert check["availability"] is None
    assert check["unknownSeconds"] == answer.body["unknownSeconds"]


def test_availability_window_has_the_asked_length(shop):
    # given / when
    answer = shop.call("GET", "/systems/shop/availability", query={"window": "24h"})
    # then
    body = answer.body
    assert body["unknownSeconds"] + body["maintenanceSeconds"] == pytest.approx(86400, abs=1)


def test_analysis_feed_without_runs_lists_assignments_with_no_runs(shop):
    # given
    service = new_key(shop, "service")
    # when
    answer = shop.call("GET", "/analysis/runs", key=service, query={"limitPerAssignment": "10"})
    # then
    assert answer.status == 200, answer.body
    assert answer.body == {
        "items": [{"systemId": "shop", "configurationId": "web", "runs": []}],
        "nextCursor": None,
    }


@pytest.mark.parametrize(
    "path",
    [
        "/systems/ghost/checks/web/runs",
        "/systems/ghost/checks/web/history",
        "/systems/ghost/transitions",
        "/systems/ghost/availability",
        "/systems/ghost/maintenances",
    ],
)
def test_history_reads_of_unknown_system_are_not_found(shop, path):
    # given / when
    answer = shop.call("GET", path)
    # then
    assert answer.status == 404, answer.body
    assert answer.error_code == "NOT_FOUND"


@pytest.mark.parametrize(
    "path, query, field",
    [
        ("/systems/shop/checks/web/runs", {"limit": "0"}, "query.limit"),
        ("/systems/shop/checks/web/runs", {"limit": "501"}, "query.limit"),
        ("/systems/shop/checks/web/runs", {"limit": "ten"}, "query.limit"),
        ("/systems/shop/checks/web/runs", {"status": "unknown"}, "query.status"),
        ("/systems/shop/checks/web/runs", {"source": "Local"}, "query.source"),
        ("/systems/shop/checks/web/runs", {"from": "yesterday"}, "query.from"),
        (
            "/systems/shop/checks/web/runs",
            {"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
            "query.from",
        ),
        ("/systems/shop/checks/web/history", {"points": "9"}, "query.points"),
        ("/systems/shop/checks/web/history", {"points": "2001"}, "query.points"),
        ("/systems/shop/checks/web/history", {"to": "not-a-time"}, "query.to"),
        (
            "/systems/shop/checks/web/history",
            {"from": "2020-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
            "query.from",
        ),
        ("/systems/shop/transitions", {"limit": "1000"}, "query.limit"),
        ("/systems/shop/transitions", {"from": "2026-13-45"}, "query.from"),
        ("/systems/shop/availability", {"window": "1y"}, "query.window"),
        ("/systems/shop/availability", {"from": "soon"}, "query.from"),
        ("/analysis/runs", {"limitPerAssignment": "0"}, "query.limitPerAssignment"),
        ("/analysis/runs", {"limitPerAssignment": "1001"}, "query.limitPerAssignment"),
        ("/analysis/runs", {"since": "last tuesday"}, "query.since"),
    ],
)
def test_bad_query_parameters_are_refused_per_field(shop, path, query, field):
    # given / when
    answer = shop.call("GET", path, query=query)
    # then
    assert answer.status == 422, answer.body
    assert answer.error_code == "VALIDATION_FAILED"
    assert field in [d["field"] for d in answer.body["error"]["details"]], answer.body


@pytest.mark.parametrize(
    "path",
    [
        "/systems/shop/checks/web/runs",
        "/systems/shop/transitions",
        "/analysis/runs",
        "/systems",
        "/configurations",
        "/api-keys",
        "/satellites",
    ],
)
def test_garbage_cursor_is_a_bad_request(shop, path):
    # given / when
    answer = shop.call("GET", path, query={"cursor": "not-a-cursor!"})
    # then
    assert answer.status == 400, answer.body
    assert answer.error_code == "BAD_REQUEST"


# --- maintenance ---------------------------------------------------------------------------------


def test_maintenance_is_created_listed_and_deleted(shop):
    # given
    created = shop.call(
        "POST",
        "/systems/shop/maintenances",
        {
            "title": "Upgrade",
            "startsAt": "2030-01-01T00:00:00+02:00",
            "endsAt": "2030-01-01T01:00:00Z",
            "suppressNotifications": False,
        },
    )
    assert created.status == 201, created.body
    # when
    listed = shop.call("GET", "/systems/shop/maintenances")
    deleted = shop.call("DELETE", f"/systems/shop/maintenances/{created.body['id']}")
    # then
    assert created.body["startsAt"] == "2029-12-31T22:00:00.000Z"
    assert created.body["systemId"] == "shop"
    assert created.body["suppressNotifications"] is False
    assert listed.body["items"] == [created.body]
    assert deleted.status == 204
    assert shop.call("GET", "/systems/shop/maintenances").body["items"] == []
    assert shop.call("DELETE", f"/systems/shop/maintenances/{created.body['id']}").status == 404


@pytest.mark.parametrize(
    "body, field",
    [
        ({"title": "t", "startsAt": "2030-01-01T01:00:00Z", "endsAt": "2030-01-01T00:00:00Z"}, "body"),
        (
            {"title": "t", "startsAt": "2030-01-01T00:00:00", "endsAt": "2030-01-01T01:00:00Z"},
            "body.startsAt",
        ),
        ({"title": "", "startsAt": "2030-01-01T00:00:00Z", "endsAt": "2030-01-01T01:00:00Z"}, "body.title"),
        ({"startsAt": "2030-01-01T00:00:00Z", "endsAt": "2030-01-01T01:00:00Z"}, "body.title"),
    ],
)
def test_invalid_maintenance_is_refused(shop, body, field):
    # given
    before = store_items()
    # when
    answer = shop.call("POST", "/systems/shop/maintenances", body)
    # then
    assert answer.status == 422, answer.body
    assert field in [d["field"] for d in answer.body["error"]["details"]], answer.body
    assert store_items() == before


def test_maintenance_of_unknown_system_is_not_found(shop):
    # given
    before = store_items()
    # when
    answer = shop.call(
        "POST",
        "/systems/ghost/maintenances",
        {
            "title": "t",
            "startsAt": "2030-01-01T00:00:00Z",
            "endsAt": "2030-01-01T01:00:00Z",
            "suppressNotifications": True,
        },
    )
    # then
    assert answer.status == 404
    assert answer.error_code == "NOT_FOUND"
    assert store_items() == before


@pytest.mark.parametrize("sort_key", ["9999-12-31T00:00:00.000Z#r", "0000#r"])
def test_cursor_outside_the_asked_range_is_a_bad_request(shop, sort_key):
    # given
    key = {"pk": {"S": "RUNS#shop#web"}, "sk": {"S": sort_key}}
    cursor = base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")
    # when
    answer = shop.call("GET", "/systems/shop/checks/web/runs", query={"cursor": cursor})
    # then
    assert answer.status == 400, answer.body
    assert answer.error_code == "BAD_REQUEST"
