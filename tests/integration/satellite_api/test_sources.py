"""Per-source slices: who ran a check, how sources combine under a quorum, and offline satellites."""

from datetime import timedelta

import pytest

from tests.integration.api.stack import add_configuration, add_system, assign
from tests.integration.satellite_api.fleet import (
    add_satellite,
    check,
    health,
    hold_clock,
    post_results,
    record_local,
    result,
    runs,
)

DAY = {"from": "2030-01-06T00:00:00Z", "to": "2030-01-07T00:00:00Z"}


@pytest.fixture
def fleet(stack):
    clock = hold_clock()
    satellites = {
        s: add_satellite(stack, s, region=region)
        for s, region in (("eu-1", "eu-central-1"), ("us-1", "us-east-1"))
    }
    add_system(stack, "shop")
    add_configuration(stack, "web")
    return stack, clock, satellites


def fail(stack, satellite, clock, times=3):
    answer = post_results(
        stack,
        satellite,
        [
            result("shop", "web", clock.now - timedelta(seconds=times - i), status="unhealthy")
            for i in range(times)
        ],
    )
    assert len(answer.body["accepted"]) == times, answer.body


def succeed(stack, satellite, clock):
    assert post_results(stack, satellite, [result("shop", "web", clock.now)]).body["accepted"]


def test_health_names_each_source_with_its_label(fleet):
    # given
    stack, clock, satellites = fleet
    assign(stack, "shop", "web", {"satelliteIds": ["eu-1", "us-1"], "includeLocal": True})
    record_local("shop", "web", "healthy", clock.now)
    succeed(stack, satellites["eu-1"], clock)
    # when
    sources = check(health(stack, "shop"), "web")["sources"]
    # then
    assert [(s["sourceId"], s["sourceLabel"], s["status"]) for s in sources] == [
        ("eu-1", "Eu-1 (eu-central-1)", "healthy"),
        ("local", "Local", "healthy"),
    ]


def test_source_filter_keeps_runs_and_history_apart(fleet):
    # given
    stack, clock, satellites = fleet
    assign(stack, "shop", "web", {"satelliteIds": ["eu-1"], "includeLocal": True})
    record_local("shop", "web", "healthy", clock.now)
    record_local("shop", "web", "healthy", clock.now + timedelta(seconds=1))
    fail(stack, satellites["eu-1"], clock, times=3)
    # when
    satellite_runs = runs(stack, "shop", "web", source="eu-1")
    local_runs = runs(stack, "shop", "web", source="local")
    history = {
        source: stack.call("GET", "/systems/shop/checks/web/history", query=DAY | {"source": source}).body
        for source in ("eu-1", "local")
    }
    # then
    assert {(r["sourceId"], r["status"]) for r in satellite_runs} == {("eu-1", "unhealthy")}
    assert len(satellite_runs) == 3
    assert {(r["sourceId"], r["status"]) for r in local_runs} == {("local", "healthy")}
    assert len(local_runs) == 2
    counts = {
        source: (
            sum(b["runCount"] for b in view["buckets"]),
            sum(b["unhealthyCount"] for b in view["buckets"]),
        )
        for source, view in history.items()
    }
    assert counts == {"eu-1": (3, 3), "local": (2, 0)}


def test_satellite_failing_while_local_is_healthy_fails_the_check_under_quorum_any(fleet):
    # given
    stack, clock, satellites = fleet
    assign(stack, "shop", "web", {"satelliteIds": ["eu-1"], "includeLocal": True, "quorum": {"mode": "any"}})
    for i in range(5):
        record_local("shop", "web", "healthy", clock.now - timedelta(seconds=10 - i))
    # when
    fail(stack, satellites["eu-1"], clock)
    # then
    web = check(health(stack, "shop"), "web")
    assert web["status"] in ("unhealthy", "degraded")
    assert {s["sourceId"]: s["status"] for s in web["sources"]} == {"eu-1": "unhealthy", "local": "healthy"}
    assert health(stack, "shop")["status"] == web["status"]


def test_one_failing_satellite_of_three_sources_is_outvoted_under_quorum_majority(fleet):
    # given
    stack, clock, satellites = fleet
    assign(
        stack,
        "shop",
        "web",
        {"satelliteIds": ["eu-1", "us-1"], "includeLocal": True, "quorum": {"mode": "majority"}},
    )
    record_local("shop", "web", "healthy", clock.now)
    succeed(stack, satellites["us-1"], clock)
    # when
    fail(stack, satellites["eu-1"], clock)
    # then
    web = check(health(stack, "shop"), "web")
    assert web["status"] == "healthy"
    assert {s["sourceId"]: s["status"] for s in web["sources"]} == {
        "eu-1": "unhealthy",
        "us-1": "healthy",
        "local": "healthy",
    }


def test_two_failing_sources_of_three_fail_the_check_under_quorum_majority(fleet):
    # given
    stack, clock, satellites = fleet
    assign(
        stack,
        "shop",
        "web",
        {"satelliteIds": ["eu-1", "us-1"], "includeLocal": True, "quorum": {"mode": "majority"}},
    )
    record_local("shop", "web", "healthy", clock.now)
    fail(stack, satellites["us-1"], clock)
    # when
    fail(stack, satellites["eu-1"], clock)
    # then
    assert check(health(stack, "shop"), "web")["status"] == "unhealthy"


def test_without_local_only_the_satellite_slice_counts(fleet):
    # given
    stack, clock, satellites = fleet
    assign(stack, "shop", "web", {"satelliteIds": ["eu-1"], "includeLocal": False})
    record_local("shop", "web", "unhealthy", clock.now - timedelta(seconds=5))
    # when
    succeed(stack, satellites["eu-1"], clock)
    # then
    web = check(health(stack, "shop"), "web")
    assert [s["sourceId"] for s in web["sources"]] == ["eu-1"]
    assert web["status"] == "healthy"


def test_heartbeat_marks_the_satellite_online_until_three_intervals_pass(fleet):
    # given
    stack, clock, satellites = fleet
    clock.advance(minutes=10)
    # when
    answer = stack.call("POST", "/satellite/heartbeat", {"version": "1.2.3"}, key=satellites["eu-1"].token)
    # then
    assert answer.status == 204
    listed = {s["id"]: s for s in stack.call("GET", "/satellites").body["items"]}
    assert (listed["eu-1"]["online"], listed["eu-1"]["lastSeenAt"]) == (True, "2030-01-06T12:10:00.000Z")
    assert (listed["us-1"]["online"], listed["us-1"]["lastSeenAt"]) == (False, None)
    clock.advance(seconds=90)
    assert {s["id"]: s["online"] for s in stack.call("GET", "/satellites").body["items"]}["eu-1"] is True
    clock.advance(seconds=1)
    assert {s["id"]: s["online"] for s in stack.call("GET", "/satellites").body["items"]}["eu-1"] is False


def test_a_result_counts_as_a_sign_of_life(fleet):
    # given
    stack, clock, satellites = fleet
    assign(stack, "shop", "web", {"satelliteIds": ["eu-1"]})
    clock.advance(minutes=5)
    # when
    succeed(stack, satellites["eu-1"], clock)
    # then
    listed = {s["id"]: s for s in stack.call("GET", "/satellites").body["items"]}
    assert (listed["eu-1"]["online"], listed["eu-1"]["lastSeenAt"]) == (True, "2030-01-06T12:05:00.000Z")


def test_slice_of_an_offline_satellite_reads_unknown_after_the_next_write(fleet):
    # given: eu-1 is the only source and reported healthy, then fell silent
    stack, clock, satellites = fleet
    assign(stack, "shop", "web", {"satelliteIds": ["eu-1"], "includeLocal": False})
    succeed(stack, satellites["eu-1"], clock)
    assert check(health(stack, "shop"), "web")["status"] == "healthy"
    clock.advance(minutes=2)
    stack.published.events.clear()
    # when
    assign(stack, "shop", "web", {"satelliteIds": ["eu-1"], "includeLocal": False})
    # then
    view = health(stack, "shop")
    web = check(view, "web")
    assert [(s["sourceId"], s["status"]) for s in web["sources"]] == [("eu-1", "unknown")]
    assert (web["status"], view["status"]) == ("unknown", "unknown")
    changes = stack.published.of_type("System Health Changed")
    assert [(c["previousStatus"], c["newStatus"], c["cacheInvalidated"]) for c in changes] == [
        ("healthy", "unknown", True)
    ]


def test_offline_satellite_does_not_outvote_a_healthy_local_slice(fleet):
    # given
    stack, clock, satellites = fleet
    assign(stack, "shop", "web", {"satelliteIds": ["eu-1"], "includeLocal": True})
    fail(stack, satellites["eu-1"], clock)
    clock.advance(minutes=2)
    # when
    record_local("shop", "web", "healthy", clock.now)
    # then
    web = check(health(stack, "shop"), "web")
    assert {s["sourceId"]: s["status"] for s in web["sources"]} == {"eu-1": "unknown", "local": "healthy"}
    assert web["status"] == "healthy"


def test_a_late_result_is_history_and_does_not_override_a_newer_one(fleet):
    # given: the satellite's newest result was healthy
    stack, clock, satellites = fleet
    assign(stack, "shop", "web", {"satelliteIds": ["eu-1"], "includeLocal": False})
    succeed(stack, satellites["eu-1"], clock)
    # when: an older failure arrives afterwards (a spool drained out of order)
    answer = post_results(
        stack,
        satellites["eu-1"],
        [result("shop", "web", clock.now - timedelta(minutes=10), result_id="late", status="unhealthy")],
    )
    # then
    assert answer.body["accepted"] == ["late"]
    web = check(health(stack, "shop"), "web")
    assert (web["status"], web["lastRunAt"]) == ("healthy", "2030-01-06T12:00:00.000Z")
    assert [r["status"] for r in runs(stack, "shop", "web")] == ["healthy", "unhealthy"]
    history = stack.call("GET", "/systems/shop/checks/web/history", query=DAY).body
    assert sum(b["unhealthyCount"] for b in history["buckets"]) == 1
