"""Alerting: how long a transition takes to reach a webhook, and how quiet a flapping system is.

Latency runs the real NotifierFunction handler on moto with a webhook receiver on loopback: the
transition event is handed to the notifier, its queued delivery received from SQS and handed back,
and the clock stops when the receiver has the signed POST. It leaves out the event source
mapping's polling (up to its batching window, 1 s in the template) and EventBridge's own latency.
The flap row runs the services on in-memory fakes and a fake clock: 20 flips 20 s apart, then the
quiet window that settles it.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from bench import DynamoCalls, in_process_stack, reconfigure, use_fake_aws
from bench.sizes import scaled
from bench.table import row

TRANSITIONS = scaled(40, 4)
FLIPS = scaled(20, 6)
LATENCY_GOAL_P99_SECONDS = 1.0
FLAP_GOAL = 3


def _latencies() -> list[float]:
    import boto3

    from local.event_sources import sqs_event
    from shared.services.alerting import context as alerting_context
    from tests.integration.alerting.receiver import WebhookReceiver, sqs_messages

    with in_process_stack(CACHE_BACKEND="memory") as (stack, _), WebhookReceiver() as receiver:
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="notifications", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        reconfigure(stack, DynamoCalls(), NOTIFICATIONS_QUEUE_URL=url, NOTIFICATIONS_QUEUE_ARN=arn)
        alerting_context.reset_alerting()
        stack.call(
            "POST",
            "/channels",
            {"id": "ops", "name": "Ops", "type": "webhook", "config": {"url": receiver.url}},
        )
        stack.call("POST", "/alert-policies", {"id": "p", "name": "P", "channelIds": ["ops"]})
        systems = [f"sys{i}" for i in range(TRANSITIONS // 2)]
        for system_id in systems:
            stack.call("POST", "/systems", {"id": system_id, "name": system_id})

        def hand_over(bodies: list[dict]) -> None:
            stack.invoke("NotifierFunction", sqs_event(sqs_messages(bodies), arn, "us-east-1"))

        start = datetime.now(UTC)
        seconds: list[float] = []
        for n in range(TRANSITIONS):
            system_id = systems[n % len(systems)]
            status = "unhealthy" if n < len(systems) else "healthy"
            at = (start + timedelta(milliseconds=n)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            detail = {
                "systemId": system_id,
                "systemName": system_id,
                "previousStatus": "healthy",
                "newStatus": status,
                "healthyChecks": 0,
                "totalChecks": 1,
                "suppressed": False,
                "timestamp": at,
            }
            expected = len(receiver.received) + 1
            began = time.perf_counter()
            hand_over([{"detail-type": "System Health Changed", "detail": detail}])
            queued = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
            hand_over([json.loads(m["Body"]) for m in queued])
            assert len(receiver.received) == expected, (n, len(receiver.received))
            seconds.append(time.perf_counter() - began)
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(queued)],
            )
        alerting_context.reset_alerting()
        return seconds


def _flap_deliveries() -> tuple[int, int, int]:
    from tests.unit.alerting.fakes import world
    from tests.unit.alerting.test_incidents import channel, policy

    w = world()
    w.systems.add("web")
    channel(w)
    policy(w)
    status = "healthy"
    for _ in range(FLIPS):
        previous, status = status, "unhealthy" if status == "healthy" else "healthy"
        w.transition("web", status, previous=previous)
        w.drain()
        w.clock.advance(20)
    w.run_until(900, step=30)
    per_incident = Counter(n["incidentId"] for _, n in w.sender.sent)
    return max(per_incident.values()), len(w.sender.sent), len(per_incident)


def rows() -> list[dict]:
    use_fake_aws()
    seconds = sorted(_latencies())
    p50 = statistics.median(seconds)
    p99 = seconds[min(len(seconds) - 1, int(len(seconds) * 0.99))]
    worst, total, incidents = _flap_deliveries()
    return [
        row(
            "notification latency, transition to delivery (p50/p99 s, local)",
            p99,
            p50,
            f"p99 <= {LATENCY_GOAL_P99_SECONDS:g} s",
            p99 <= LATENCY_GOAL_P99_SECONDS,
            note=f"p50 {p50:.3f} s, p99 {p99:.3f} s over {len(seconds)} transitions; moto, real handler and "
            "receiver; excludes SQS polling (batching window 1 s) and EventBridge",
            ratio=p99 / p50 if p50 else None,
        ),
        row(
            f"deliveries per incident under a {FLIPS}-flip flap",
            worst,
            total,
            f"<= {FLAP_GOAL}",
            worst <= FLAP_GOAL,
            note=f"worst incident {worst}; {total} deliveries over {incidents} incidents for {FLIPS} flips "
            "20 s apart (open, flapping, settled on the flapping one)",
            ratio=worst / total if total else None,
        ),
    ]


if __name__ == "__main__":
    for entry in rows():
        print(entry)
