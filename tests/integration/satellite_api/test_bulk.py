"""Big batches: they fit DynamoDB's transaction limits, and cost few calls per result."""

from datetime import timedelta

import pytest

from tests.integration.api.stack import add_configuration, add_system, assign
from tests.integration.satellite_api.fleet import (
    add_satellite,
    count_dynamodb_calls,
    hold_clock,
    post_results,
    result,
    runs,
)

CALLS_PER_RESULT = 0.1
CALLS_CONSTANT = 1


@pytest.fixture
def shop(stack):
    clock = hold_clock()
    eu = add_satellite(stack, "eu-1")
    add_system(stack, "shop")
    add_configuration(stack, "web")
    assign(stack, "shop", "web", {"satelliteIds": ["eu-1"], "includeLocal": False})
    return stack, clock, eu


def history_run_count(stack, hours: int) -> int:
    answer = stack.call(
        "GET",
        "/systems/shop/checks/web/history",
        query={"from": "2030-01-01T00:00:00Z", "to": "2030-01-06T13:00:00Z", "points": 2000},
    )
    assert answer.status == 200, answer.body
    return sum(b["runCount"] for b in answer.body["buckets"])


def test_a_flapping_batch_with_a_transition_per_result_is_recorded_whole(shop):
    # given: every result changes the check's status, so each one brings a transition
    stack, clock, eu = shop
    batch = [
        result(
            "shop", "web", clock.now - timedelta(seconds=300 - i), status="unhealthy" if i % 2 else "healthy"
        )
        for i in range(200)
    ]
    # when
    answer = post_results(stack, eu, batch)
    # then
    assert answer.status == 200, answer.body
    assert len(answer.body["accepted"]) == 200
    assert len(stack.published.of_type("System Health Changed")) == 200
    transitions = stack.call("GET", "/systems/shop/transitions", query={"limit": 500}).body["items"]
    assert len(transitions) == 200


def test_a_backlog_spread_over_many_hours_is_recorded_whole(shop):
    # given: a satellite delivers four days of spooled results, one an hour
    stack, clock, eu = shop
    batch = [result("shop", "web", clock.now - timedelta(hours=i)) for i in range(100)]
    # when
    answer = post_results(stack, eu, batch)
    # then
    assert answer.status == 200, answer.body
    assert len(answer.body["accepted"]) == 100
    assert history_run_count(stack, 100) == 100


def test_five_hundred_results_cost_few_dynamodb_calls(shop):
    # given
    stack, clock, eu = shop
    batch = [result("shop", "web", clock.now - timedelta(seconds=500 - i)) for i in range(500)]
    calls = count_dynamodb_calls()
    # when
    answer = post_results(stack, eu, batch)
    # then
    assert len(answer.body["accepted"]) == 500
    total = sum(calls.values())
    print(f"DynamoDB calls for 500 results: {total} {dict(calls)}")
    assert total <= CALLS_PER_RESULT * 500 + CALLS_CONSTANT, dict(calls)
    assert len(runs(stack, "shop", "web", limit="500")) == 500
