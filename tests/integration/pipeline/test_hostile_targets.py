"""A monitored server controls what a probe reads: nothing it answers can stall or sink a batch, and
the secrets a check sends it are stored sealed and seen by no reader."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.integration.api.stack import add_system, assign, new_key, store_items
from tests.integration.pipeline.conftest import drain_queue

ADVERSARIAL_BODIES = {
    "/nested": b"a" * 50_000 + b"!",  # (a+)+$ backtracks exponentially in `re`
    "/equals": b"=" * 50_000,  # .*.*.*.*=x is quartic in `re`
    "/health": b'{"ok": true}',
}


class HostileTarget(ThreadingHTTPServer):
    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen_headers: list[dict[str, str]] = []

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.seen_headers.append(dict(self.headers.items()))
        body = ADVERSARIAL_BODIES.get(self.path, b"{}")
        self.send_response(200)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def hostile():
    server = HostileTarget()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def configure(stack, configuration_id: str, config: dict, assertions: list | None = None) -> None:
    answer = stack.call(
        "POST",
        "/configurations",
        {
            "id": configuration_id,
            "name": configuration_id,
            "strategyId": "http",
            "intervalSeconds": 60,
            "timeoutSeconds": 5,
            "config": config,
            "assertions": assertions or [],
        },
    )
    assert answer.status == 201, answer.body
    assign(stack, "shop", configuration_id)


def test_redos_patterns_on_adversarial_bodies_never_fail_the_batch(stack, hostile):
    # given: two checks whose patterns backtrack catastrophically in `re`, and a plain one
    add_system(stack, "shop")
    configure(
        stack,
        "nested",
        {"url": hostile.url("/nested")},
        [{"source": "result.body", "operator": "matches", "value": "(a+)+$"}],
    )
    configure(
        stack,
        "equals",
        {"url": hostile.url("/equals")},
        [{"source": "result.body", "operator": "matches", "value": ".*.*.*.*=x"}],
    )
    configure(stack, "plain", {"url": hostile.url("/health")})
    for configuration_id in ("nested", "equals", "plain"):
        assert stack.call("POST", f"/systems/shop/checks/{configuration_id}/run").status == 202
    # when
    answers = drain_queue(stack)
    # then: every run is recorded, none is left for SQS to retry
    assert answers and all(not a.get("batchItemFailures") for a in answers)
    runs = {
        c: stack.call("GET", f"/systems/shop/checks/{c}/runs").body["items"]
        for c in ("nested", "equals", "plain")
    }
    assert [r["status"] for r in runs["plain"]] == ["healthy"]
    assert [r["assertions"][0]["passed"] for r in runs["nested"]] == [False]  # the body ends with "!"
    assert [r["assertions"][0]["passed"] for r in runs["equals"]] == [False]
    assert all(isinstance(r["latencyMs"], int) for rs in runs.values() for r in rs)


def test_secret_headers_reach_the_target_and_no_reader_nor_log(stack, hostile, capsys):
    # given
    add_system(stack, "shop")
    secret = "target-secret-4711"
    configure(
        stack,
        "private",
        {
            "url": hostile.url("/health"),
            "headers": {"X-Api-Key": secret, "X-Tenant": "acme"},
            "basicAuth": {"username": "probe", "password": "hunter2-secret"},
        },
    )
    reader = new_key(stack, "reader")
    # when
    stack.call("PATCH", "/configurations/private", {"config": {"url": hostile.url("/health")}})
    assert stack.call("POST", "/systems/shop/checks/private/run").status == 202
    drain_queue(stack)
    as_reader = stack.call("GET", "/configurations/private", key=reader).body
    as_manager = stack.call(
        "GET", "/configurations", key=None, headers={"authorization": "Bearer test-admin-key"}
    )
    # then: the target got the secret (kept on the PATCH that omitted it) ...
    assert hostile.seen_headers[-1]["X-Api-Key"] == secret
    assert hostile.seen_headers[-1]["Authorization"] == "Basic cHJvYmU6aHVudGVyMi1zZWNyZXQ="
    # ... while every answer shows *** and no log line carries it
    assert as_reader["config"]["headers"] == {"X-Api-Key": "***", "X-Tenant": "***"}
    assert as_reader["config"]["basicAuth"] == {"username": "probe", "password": "***"}
    listed = as_manager.body["items"][0]["config"]
    assert listed["headers"]["X-Api-Key"] == "***"
    stored = json.dumps(store_items())
    assert "target-secret-4711" not in stored and "hunter2-secret" not in stored
    logged = capsys.readouterr()
    assert "target-secret-4711" not in logged.out + logged.err
    assert "hunter2-secret" not in logged.out + logged.err
