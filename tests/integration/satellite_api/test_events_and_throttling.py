"""What satellite results publish, and how a chatty satellite is slowed down."""

from datetime import timedelta
from unittest.mock import patch

import pytest

from shared.services import outbox, satellite_ingest
from tests.integration.api.stack import add_configuration, add_system, assign
from tests.integration.satellite_api.fleet import add_satellite, hold_clock, post_results, result

RUN_COMPLETED = "Health Check Run Completed"
HEALTH_CHANGED = "System Health Changed"
CONSECUTIVE = {"mode": "consecutive", "degradedAfter": 1, "unhealthyAfter": 3, "recoverAfter": 1}


@pytest.fixture
def shop(stack):
    clock = hold_clock()
    eu = add_satellite(stack, "eu-1")
    add_system(stack, "shop")
    add_configuration(stack, "web")
    assign(
        stack,
        "shop",
        "web",
        {"satelliteIds": ["eu-1"], "includeLocal": False, "stateThresholds": CONSECUTIVE},
    )
    stack.published.events.clear()
    return stack, clock, eu


def test_each_accepted_result_publishes_one_run_completed_from_the_satellite(shop):
    # given
    stack, clock, eu = shop
    batch = [result("shop", "web", clock.now - timedelta(seconds=3 - i), result_id=f"r{i}") for i in range(3)]
    # when
    post_results(stack, eu, [*batch, batch[0]])
    post_results(stack, eu, batch)
    # then
    completed = stack.published.of_type(RUN_COMPLETED)
    assert len(completed) == 3
    assert {
        (e["sourceId"], e["systemId"], e["configurationId"], e["systemName"], e["configurationName"])
        for e in completed
    } == {("eu-1", "shop", "web", "Shop", "Web")}


def test_every_status_change_publishes_exactly_one_health_changed_event(shop):
    # given: healthy, then three failures (degraded after one, unhealthy after three), then recovery
    stack, clock, eu = shop
    statuses = ["healthy", "unhealthy", "unhealthy", "unhealthy", "healthy"]
    batch = [
        result("shop", "web", clock.now - timedelta(seconds=10 - i), result_id=f"s{i}", status=s)
        for i, s in enumerate(statuses)
    ]
    # when
    post_results(stack, eu, batch[:2])
    post_results(stack, eu, batch[1:])
    post_results(stack, eu, batch)
    # then
    changes = [(e["previousStatus"], e["newStatus"]) for e in stack.published.of_type(HEALTH_CHANGED)]
    assert changes == [
        ("unknown", "healthy"),
        ("healthy", "degraded"),
        ("degraded", "unhealthy"),
        ("unhealthy", "healthy"),
    ]
    transitions = stack.call("GET", "/systems/shop/transitions").body["items"]
    assert [(t["previousStatus"], t["newStatus"]) for t in reversed(transitions)] == changes


def test_every_published_event_says_the_cache_was_invalidated_first(shop):
    # given
    stack, clock, eu = shop
    # when
    post_results(stack, eu, [result("shop", "web", clock.now, status="unhealthy")])
    # then
    assert {e.detail_type for e in stack.published.events} == {
        RUN_COMPLETED,
        "Health Check Completed",
        HEALTH_CHANGED,
    }
    assert all(e.detail["cacheInvalidated"] is True for e in stack.published.events)


def test_an_outbox_entry_left_by_a_crash_is_published_on_the_next_request(shop):
    # given: the commit lands but the process dies before publishing
    stack, clock, eu = shop
    with patch.object(outbox, "deliver_all", side_effect=SystemError("crash")):
        crashed = post_results(stack, eu, [result("shop", "web", clock.now, result_id="lost")])
    assert crashed.status == 500
    assert stack.published.events == []
    # when
    retried = post_results(stack, eu, [result("shop", "web", clock.now, result_id="lost")])
    # then
    assert retried.body["duplicates"] == ["lost"]
    assert len(stack.published.of_type(RUN_COMPLETED)) == 1
    assert [(e["previousStatus"], e["newStatus"]) for e in stack.published.of_type(HEALTH_CHANGED)] == [
        ("unknown", "healthy")
    ]
    assert all(e.detail["cacheInvalidated"] is True for e in stack.published.events)


def test_requests_over_the_per_minute_limit_are_throttled_with_retry_after(shop, monkeypatch):
    # given
    stack, clock, eu = shop
    monkeypatch.setattr(satellite_ingest, "REQUESTS_PER_MINUTE", 3)
    clock.advance(seconds=15)
    admitted = [
        stack.call("POST", "/satellite/heartbeat", {}, key=eu.token).status,
        stack.call("GET", "/satellite/assignments", key=eu.token).status,
        post_results(stack, eu, [result("shop", "web", clock.now)]).status,
    ]
    # when
    throttled = post_results(stack, eu, [result("shop", "web", clock.now, result_id="too-many")])
    # then
    assert admitted == [204, 200, 200]
    assert (throttled.status, throttled.error_code) == (429, "THROTTLED")
    retry_after = {k.lower(): v for k, v in throttled.headers.items()}["retry-after"]
    assert int(retry_after) == 60 - 15
    clock.advance(seconds=45)
    later = post_results(stack, eu, [result("shop", "web", clock.now, result_id="too-many")])
    assert later.body["accepted"] == ["too-many"]


def test_the_limit_is_per_satellite(shop, monkeypatch):
    # given
    stack, _, eu = shop
    us = add_satellite(stack, "us-1")
    monkeypatch.setattr(satellite_ingest, "REQUESTS_PER_MINUTE", 1)
    assert stack.call("POST", "/satellite/heartbeat", {}, key=eu.token).status == 204
    # when
    answer = stack.call("POST", "/satellite/heartbeat", {}, key=us.token)
    # then
    assert answer.status == 204
    assert stack.call("POST", "/satellite/heartbeat", {}, key=eu.token).status == 429


def test_a_cached_health_view_is_replaced_once_a_result_lands(shop):
    # given: a reader has filled the status cache
    stack, clock, eu = shop
    post_results(stack, eu, [result("shop", "web", clock.now - timedelta(seconds=1))])
    assert stack.call("GET", "/systems/shop/health").body["status"] == "healthy"
    # when
    post_results(stack, eu, [result("shop", "web", clock.now, status="unhealthy")])
    # then
    assert stack.call("GET", "/systems/shop/health").body["status"] == "degraded"
