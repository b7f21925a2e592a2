"""A check's life: requested, probed, recorded once, evaluated, announced once per transition."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
from botocore.exceptions import ClientError

from shared import aws
from shared.events import RUN_COMPLETED, SYSTEM_HEALTH_CHANGED
from shared.services.context import default_collaborators
from tests.integration.pipeline.conftest import drain_queue, http_check

WINDOW = {"mode": "window", "windowSize": 4, "degradedAfter": 1, "unhealthyAfter": 2, "recoverAfter": 2}


def run_once(stack, system_id="shop", configuration_id="web"):
    answer = stack.call("POST", f"/systems/{system_id}/checks/{configuration_id}/run")
    assert answer.status == 202, answer.body
    return drain_queue(stack)


def health(stack, system_id="shop"):
    return stack.call("GET", f"/systems/{system_id}/health").body


def test_system_goes_degraded_unhealthy_and_back_as_the_target_flips(stack, target):
    # given
    http_check(stack, target, thresholds=WINDOW)
    statuses = []
    # when
    for healthy in (True, False, False, True, True, True, True):
        target.healthy = healthy
        run_once(stack)
        statuses.append(health(stack)["status"])
    # then
    # window of 4: two failures stay in it until two healthy runs push them out
    assert statuses == ["healthy", "degraded", "unhealthy", "unhealthy", "unhealthy", "degraded", "healthy"]
    changes = [(e["previousStatus"], e["newStatus"]) for e in stack.published.of_type(SYSTEM_HEALTH_CHANGED)]
    assert changes == [
        ("unknown", "healthy"),
        ("healthy", "degraded"),
        ("degraded", "unhealthy"),
        ("unhealthy", "degraded"),
        ("degraded", "healthy"),
    ]
    transitions = stack.call("GET", "/systems/shop/transitions").body["items"]
    assert [(t["previousStatus"], t["newStatus"]) for t in reversed(transitions)] == changes


def test_failed_assertion_is_stored_with_each_outcome(stack, target):
    # given
    http_check(
        stack,
        target,
        assertions=[
            {"source": "result.statusCode", "operator": "eq", "value": 200},
            {"source": "result.body.$.ok", "operator": "eq", "value": True},
            {"source": "latencyMs", "operator": "lt", "value": 60000},
        ],
    )
    target.healthy = False
    # when
    run_once(stack)
    # then
    run = stack.call("GET", "/systems/shop/checks/web/runs").body["items"][0]
    assert run["status"] == "unhealthy"
    assert [a["passed"] for a in run["assertions"]] == [False, False, True]
    assert run["sourceId"] == "local" and run["sourceLabel"] == "Local"
    assert "body" not in run["result"]


def test_redelivered_batch_is_recorded_once(stack, target):
    # given
    http_check(stack, target)
    stack.call("POST", "/systems/shop/checks/web/run")
    # when: the same SQS batch is delivered three times
    drain_queue(stack, times=3)
    # then
    runs = stack.call("GET", "/systems/shop/checks/web/runs").body["items"]
    assert len(runs) == 1
    buckets = stack.call("GET", "/systems/shop/checks/web/history").body["buckets"]
    assert sum(b["runCount"] for b in buckets) == 1
    assert len(stack.published.of_type(RUN_COMPLETED)) == 1


def test_unreachable_target_is_an_unhealthy_run_not_an_exception(stack, target):
    # given
    http_check(stack, target)
    stack.call("PATCH", "/configurations/web", {"config": {"url": "http://127.0.0.1:9/"}})
    # when
    answers = run_once(stack)
    # then
    assert answers[0]["batchItemFailures"] == []
    run = stack.call("GET", "/systems/shop/checks/web/runs").body["items"][0]
    assert run["status"] == "unhealthy"
    assert run["error"]["code"] == "CONNECTION_REFUSED"


def test_malformed_message_is_reported_as_a_batch_item_failure(stack):
    # given
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=stack.queue_url, MessageBody="{not json")
    # when
    answers = drain_queue(stack)
    # then
    assert len(answers[0]["batchItemFailures"]) == 1


def test_message_for_a_deleted_configuration_is_dropped_not_retried(stack, target):
    # given
    http_check(stack, target)
    stack.call("POST", "/systems/shop/checks/web/run")
    stack.call("DELETE", "/configurations/web")
    # when
    answers = drain_queue(stack)
    # then
    assert answers[0]["batchItemFailures"] == []
    assert boto3.client("sqs").receive_message(QueueUrl=stack.queue_url).get("Messages") is None


def test_store_throttling_fails_the_item_and_writes_nothing(stack, target, monkeypatch):
    # given
    http_check(stack, target)
    stack.call("POST", "/systems/shop/checks/web/run")
    client = aws.dynamodb()  # the one client the repository uses
    real = client.transact_write_items

    def throttled(**kwargs):
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
            "TransactWriteItems",
        )

    monkeypatch.setattr(client, "transact_write_items", throttled)
    # when
    answers = drain_queue(stack)
    # then
    assert len(answers[0]["batchItemFailures"]) == 1
    monkeypatch.setattr(client, "transact_write_items", real)
    assert stack.call("GET", "/systems/shop/checks/web/runs").body["items"] == []
    assert all(
        b["runCount"] == 0 for b in stack.call("GET", "/systems/shop/checks/web/history").body["buckets"]
    )
    assert health(stack)["status"] == "unknown"


def test_events_are_published_only_after_the_cache_acknowledged_the_invalidation(stack, target):
    # given
    http_check(stack, target)
    collaborators = default_collaborators()
    order = []
    real_invalidate = collaborators.cache.invalidate
    collaborators.cache.invalidate = lambda key: order.append(("invalidate", key)) or real_invalidate(key)
    real_publish = collaborators.publisher.publish
    collaborators.publisher.publish = lambda events: (
        order.append(("publish", len(events))) or real_publish(events)
    )
    # when
    run_once(stack)
    # then
    assert order[0] == ("invalidate", "shop")
    assert order[1][0] == "publish"
    assert all(e.detail["cacheInvalidated"] is True for e in stack.published.events)


def test_health_read_after_a_run_is_never_stale(stack, target):
    # given: a cached health view
    http_check(stack, target)
    run_once(stack)
    assert health(stack)["status"] == "healthy"
    # when
    target.healthy = False
    run_once(stack)
    # then
    assert health(stack)["status"] == "degraded"


def test_run_request_for_a_satellite_only_check_is_refused(stack, target):
    # given
    http_check(stack, target)
    satellite = stack.call("POST", "/satellites", {"id": "eu", "name": "EU", "region": "eu-west-1"}).body
    stack.call(
        "PUT",
        "/systems/shop/checks/web",
        {"includeLocal": False, "satelliteIds": [satellite["satellite"]["id"]]},
    )
    # when
    answer = stack.call("POST", "/systems/shop/checks/web/run")
    # then
    assert answer.status == 409
    assert json.loads(json.dumps(answer.body))["error"]["code"] == "CONFLICT"


def test_a_transition_inside_a_maintenance_window_is_recorded_and_marked_suppressed(stack, target):
    # given: a healthy system entering a maintenance window that suppresses notifications
    http_check(stack, target)
    run_once(stack)
    now = datetime.now(UTC)
    window = stack.call(
        "POST",
        "/systems/shop/maintenances",
        {
            "title": "Upgrade",
            "startsAt": (now - timedelta(minutes=5)).isoformat(),
            "endsAt": (now + timedelta(hours=1)).isoformat(),
            "suppressNotifications": True,
        },
    )
    assert window.status == 201, window.body
    # when
    target.healthy = False
    run_once(stack)
    # then: runs are still recorded; the transition and its event say suppressed
    assert len(stack.call("GET", "/systems/shop/checks/web/runs").body["items"]) == 2
    last_change = stack.published.of_type(SYSTEM_HEALTH_CHANGED)[-1]
    assert (last_change["newStatus"], last_change["suppressed"]) == ("degraded", True)
    transition = stack.call("GET", "/systems/shop/transitions").body["items"][0]
    assert transition["suppressed"] is True
