"""Check pipeline cost: DynamoDB calls per recorded run through the real ExecutorFunction handler.

SQS batches of 10 run requests (10 systems, one HTTP configuration each) against a loopback target,
delivered as the event source mapping would. Counted, not timed. Probe throughput rows come from
bench/probe_throughput.py, which `python -m bench` runs on its own.
Run: `PYTHONPATH=src:. python -m bench.pipeline` from the repository root.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench import describe, in_process_stack, use_fake_aws
from bench.sizes import scaled
from bench.table import REPORT_ONLY, row

SYSTEMS = scaled(10, 2)  # at most 10: one SQS batch
BATCHES = scaled(3, 2)  # at least 2: the first batch is reported apart
GOAL_CALLS_PER_RUN = 4
CONFIGURATION_ID = "bench-http"


class _Healthy(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _catalog(url: str) -> list[str]:
    from shared.domain.assignment_models import AssignmentPut
    from shared.domain.models import ConfigurationCreate, SystemCreate
    from shared.services import assignments, catalog, configurations
    from shared.services.context import default_collaborators

    c = default_collaborators()
    configurations.create_configuration(
        c,
        ConfigurationCreate(
            id=CONFIGURATION_ID,
            name="Bench HTTP",
            strategy_id="http",
            config={"url": url},
            interval_seconds=60,
            timeout_seconds=5,
            assertions=[{"source": "result.statusCode", "operator": "eq", "value": 200}],
        ),
    )
    system_ids = [f"bench-pipeline-{n:02d}" for n in range(SYSTEMS)]
    for system_id in system_ids:
        catalog.create_system(c, SystemCreate(id=system_id, name=system_id.title()))
        assignments.put_assignment(c, system_id, CONFIGURATION_ID, AssignmentPut(), expected_version=None)
    return system_ids


def _sqs_batch(stack, system_ids: list[str]) -> tuple[dict, list[dict]]:
    import boto3

    from local.event_sources import sqs_event

    sqs = boto3.client("sqs")
    sqs.send_message_batch(
        QueueUrl=stack.queue_url,
        Entries=[
            {
                "Id": str(n),
                "MessageBody": json.dumps(
                    {
                        "systemId": s,
                        "configurationId": CONFIGURATION_ID,
                        "requestedAt": "2026-01-01T00:00:00.000Z",
                    }
                ),
            }
            for n, s in enumerate(system_ids)
        ],
    )
    messages = sqs.receive_message(
        QueueUrl=stack.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
    ).get("Messages", [])
    assert len(messages) == len(system_ids), f"received {len(messages)} of {len(system_ids)} messages"
    return sqs_event(messages, "arn:aws:sqs:us-east-1:123456789012:checks", "us-east-1"), messages


def rows() -> list[dict]:
    use_fake_aws()  # before anything builds the Powertools logger and metrics
    from shared.events import RUN_COMPLETED

    target = ThreadingHTTPServer(("127.0.0.1", 0), _Healthy)
    threading.Thread(target=target.serve_forever, daemon=True).start()
    try:
        with in_process_stack(CACHE_BACKEND="memory", HC_ALLOW_PRIVATE_TARGETS="true") as (stack, calls):
            import boto3

            system_ids = _catalog(f"http://127.0.0.1:{target.server_address[1]}/health")
            first: Counter[str] = Counter()
            used: Counter[str] = Counter()
            runs = 0
            for batch in range(BATCHES):
                event, messages = _sqs_batch(stack, system_ids)
                recorded_before = len(stack.published.of_type(RUN_COMPLETED))
                before = calls.snapshot()
                answer = stack.invoke("ExecutorFunction", event)
                if batch == 0:
                    first += calls.since(before)
                else:
                    used += calls.since(before)
                assert not answer.get("batchItemFailures"), answer
                recorded = len(stack.published.of_type(RUN_COMPLETED)) - recorded_before
                assert recorded == len(system_ids), f"{recorded} of {len(system_ids)} runs recorded"
                runs += recorded if batch else 0
                for message in messages:
                    boto3.client("sqs").delete_message(
                        QueueUrl=stack.queue_url, ReceiptHandle=message["ReceiptHandle"]
                    )
            assert stack.moto_backups.rollbacks == 0, "a transaction was cancelled; counts are not clean"
    finally:
        target.shutdown()
        target.server_close()
    total = sum(used.values())
    per_run = total / runs
    first_total = sum(first.values())
    return [
        row(
            "executor DynamoDB calls per recorded run (calls/run)",
            total,
            runs,
            f"<= {GOAL_CALLS_PER_RUN}",
            per_run <= GOAL_CALLS_PER_RUN,
            f"ExecutorFunction handler, {BATCHES - 1} SQS batches of {SYSTEMS} run requests (one HTTP check"
            f" per system, loopback target) after a first batch, status cache in memory, per-run events on"
            " (HC_RUN_EVENTS=true: each run is counted by its event, its outbox entry the BatchWriteItem):"
            " runs that leave"
            f" their check's status as it was, as nearly every run does; measured = calls, baseline = runs;"
            f" {describe(used)}",
            ratio=round(per_run, 2),
        ),
        row(
            "executor DynamoDB calls per first run of a check (calls/run)",
            first_total,
            SYSTEMS,
            REPORT_ONLY,
            True,
            f"the first batch: every run moves its check (and system) from unknown, so it also writes the"
            f" view, a transition and an outbox entry, drains the outbox and invalidates the cache;"
            f" {describe(first)}",
            ratio=round(first_total / SYSTEMS, 2),
        ),
    ]


if __name__ == "__main__":
    from bench.table import render

    print(render(rows()))
