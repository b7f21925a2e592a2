"""A flip-able HTTP target on loopback and helpers that move run requests through the queue."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest

from local.event_sources import sqs_event
from tests.integration.api.conftest import *  # noqa: F403  (the shared in-process stack and its fixtures)


class Target(ThreadingHTTPServer):
    healthy = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/health"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"ok": true}' if self.server.healthy else b'{"ok": false}'
        self.send_response(200 if self.server.healthy else 503)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def target():
    server = Target(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def drain_queue(stack, *, times: int = 1) -> list[dict]:
    """Deliver every queued run request to the executor as the event source mapping would
    (`times` > 1 delivers the same batch again, as SQS may); returns the executor's answers."""
    sqs = boto3.client("sqs")
    answers = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=stack.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return answers
        event = sqs_event(messages, "arn:aws:sqs:us-east-1:123456789012:checks", "us-east-1")
        for _ in range(times):
            answers.append(stack.invoke("ExecutorFunction", event))
        failed = {f["itemIdentifier"] for f in answers[-1].get("batchItemFailures", [])}
        for message in messages:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=stack.queue_url, ReceiptHandle=message["ReceiptHandle"])
        if failed:
            return answers


def http_check(
    stack,
    target,
    *,
    configuration_id: str = "web",
    thresholds: dict | None = None,
    system_id: str = "shop",
    assertions: list | None = None,
) -> None:
    assert stack.call("POST", "/systems", {"id": system_id, "name": "Shop"}).status == 201
    created = stack.call(
        "POST",
        "/configurations",
        {
            "id": configuration_id,
            "name": "Web",
            "strategyId": "http",
            "config": {"url": target.url},
            "intervalSeconds": 60,
            "timeoutSeconds": 5,
            "assertions": assertions
            if assertions is not None
            else [{"source": "result.statusCode", "operator": "eq", "value": 200}],
        },
    )
    assert created.status == 201, created.body
    put = stack.call(
        "PUT",
        f"/systems/{system_id}/checks/{configuration_id}",
        {"stateThresholds": thresholds or {"mode": "consecutive"}},
    )
    assert put.status == 200, put.body
