"""DynamoDB round trips of the satellite routes, counted by operation on moto (docs/benchmarks.md,
Ingest): a steady-state results POST for one system and for several, a heartbeat, an assignments pull."""

from collections import Counter
from datetime import timedelta

import pytest

from shared import aws
from shared.domain.wire import format_timestamp
from shared.services import outbox
from tests.integration.api.stack import add_configuration, add_system, assign
from tests.integration.satellite_api.fleet import (
    add_satellite,
    count_dynamodb_calls,
    hold_clock,
    post_results,
    result,
)

SYSTEMS = ("shop", "blog")
CHECKS = ("web", "api")


@pytest.fixture
def fleet(stack):
    # given: two systems of two checks each, run only by satellite eu-1, each check already reported once
    clock = hold_clock()
    eu = add_satellite(stack, "eu-1")
    for check in CHECKS:
        add_configuration(stack, check)
    for system in SYSTEMS:
        add_system(stack, system)
        for check in CHECKS:
            assign(stack, system, check, {"satelliteIds": ["eu-1"], "includeLocal": False})
    warm = [result(s, c, clock.now - timedelta(seconds=30)) for s in SYSTEMS for c in CHECKS]
    assert post_results(stack, eu, warm).status == 200
    return stack, clock, eu


def measured(call) -> Counter:
    calls = count_dynamodb_calls()
    answer = call()
    assert answer.status in (200, 204), answer.body
    return Counter(calls)


def queried_prefixes() -> list:
    """The sort-key prefix of each Query from now on (None: the whole partition)."""
    prefixes: list = []

    def note(params, **_):
        prefixes.append(params.get("ExpressionAttributeValues", {}).get(":prefix", {}).get("S"))

    aws.dynamodb().meta.events.register(
        "before-parameter-build.dynamodb.Query", note, unique_id="note-prefixes"
    )
    return prefixes


def test_a_steady_results_post_for_one_system_reads_once_before_its_partition(fleet):
    # given
    stack, clock, eu = fleet
    clock.advance(seconds=60)
    batch = [result("shop", c, clock.now - timedelta(seconds=5)) for c in CHECKS]
    batch.append(result("shop", "web", clock.now - timedelta(seconds=2)))
    prefixes = queried_prefixes()
    # when
    calls = measured(lambda: post_results(stack, eu, batch))
    # then: auth, rate slot, ONE BatchGetItem (assignments, configurations, run markers, the system,
    # its state, the check items), the transaction, the run events' outbox deletion, lastSeenAt (a
    # heartbeat interval old). No query: no run changes the view and the warm-up read the outbox.
    assert prefixes == []
    assert calls == {
        "GetItem": 1,
        "UpdateItem": 2,
        "BatchGetItem": 1,
        "TransactWriteItems": 1,
        "BatchWriteItem": 1,
    }


def test_the_outbox_is_read_again_once_a_checks_sweep_is_older_than_the_hold(fleet):
    # given: the warm-up read the outbox for every check
    stack, clock, eu = fleet
    clock.advance(seconds=outbox.OWNED_FOR.total_seconds() + 1)
    prefixes = queried_prefixes()
    # when: two posts of the same check, one after the other
    first = measured(lambda: post_results(stack, eu, [result("shop", "web", clock.now)]))
    clock.advance(seconds=1)
    second = measured(lambda: post_results(stack, eu, [result("shop", "web", clock.now)]))
    # then: the first reads the outbox and notes it on the check item; the second does not
    assert prefixes == ["OUTBOX#"]
    assert (first["Query"], second["Query"]) == (1, 0)


def test_a_post_within_a_heartbeat_interval_of_the_last_leaves_last_seen_as_it_is(fleet):
    # given
    stack, clock, eu = fleet
    clock.advance(seconds=60)
    assert post_results(stack, eu, [result("shop", "web", clock.now)]).status == 200
    clock.advance(seconds=10)  # eu-1 beats every 30 s
    # when
    calls = measured(lambda: post_results(stack, eu, [result("shop", "api", clock.now)]))
    # then: the rate slot only
    assert calls["UpdateItem"] == 1
    listed = {s["id"]: s for s in stack.call("GET", "/satellites").body["items"]}
    assert listed["eu-1"]["lastSeenAt"] == format_timestamp(clock.now - timedelta(seconds=10))


def test_a_steady_results_post_for_two_systems_reads_once_for_both(fleet, monkeypatch):
    # given
    stack, clock, eu = fleet
    clock.advance(seconds=60)
    batch = [result(s, "web", clock.now - timedelta(seconds=5)) for s in SYSTEMS]
    publishes = []
    real_publish = stack.published.publish
    monkeypatch.setattr(
        stack.published, "publish", lambda events: publishes.append(events) or real_publish(events)
    )
    # when
    calls = measured(lambda: post_results(stack, eu, batch))
    # then
    # still one BatchGetItem for both systems; then a transaction each, and their events published and
    # their outbox entries deleted together
    assert calls == {
        "GetItem": 1,
        "UpdateItem": 2,
        "BatchGetItem": 1,
        "TransactWriteItems": 2,
        "BatchWriteItem": 1,
    }
    assert len(publishes) == 1
    assert {e.detail["systemId"] for e in publishes[0]} == set(SYSTEMS)


def test_a_heartbeat_makes_three_round_trips(fleet):
    # given
    stack, _, eu = fleet
    # when
    calls = measured(lambda: stack.call("POST", "/satellite/heartbeat", {}, key=eu.token))
    # then
    # auth, rate slot, lastSeenAt
    assert calls == {"GetItem": 1, "UpdateItem": 2}


def test_an_assignments_pull_reads_assignments_and_configurations_at_once(fleet):
    # given
    stack, _, eu = fleet
    # when
    calls = measured(lambda: stack.call("GET", "/satellite/assignments", key=eu.token))
    # then
    # auth, rate slot, the satellite's links, ONE BatchGetItem of assignments and configurations
    assert calls == {"GetItem": 1, "UpdateItem": 1, "Query": 1, "BatchGetItem": 1}


def test_a_results_post_that_changes_the_view_reads_the_partition_instead_of_the_outbox(fleet):
    # given
    stack, clock, eu = fleet
    clock.advance(seconds=60)
    prefixes = queried_prefixes()
    # when
    calls = measured(
        lambda: post_results(
            stack, eu, [result("shop", "web", clock.now - timedelta(seconds=1), status="unhealthy")]
        )
    )
    # then
    assert prefixes == [None]
    assert calls == {
        "GetItem": 1,
        "UpdateItem": 2,
        "BatchGetItem": 1,
        "Query": 1,
        "TransactWriteItems": 1,
        "BatchWriteItem": 1,
    }
    health = stack.call("GET", "/systems/shop/health").body
    assert health["status"] != "healthy"
    assert {c["configurationId"]: c["status"] for c in health["checks"]}["api"] == "healthy"
