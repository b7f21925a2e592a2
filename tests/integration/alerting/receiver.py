"""The webhook receiver of docs/alerting.md, run on loopback: tests verify signatures with the
documented code, so the documentation cannot drift from what the notifier sends."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "alerting.md"


def documented_receiver() -> dict:
    """The names the documented receiver defines (`verify`, `Receiver`, ...)."""
    text = DOC.read_text()
    block = re.search(r"<!-- receiver:start -->\s*```python\n(.*?)```\s*<!-- receiver:end -->", text, re.S)
    assert block, "docs/alerting.md lost its receiver"
    namespace: dict = {"__name__": "documented_receiver"}
    exec(compile(block.group(1), str(DOC), "exec"), namespace)
    return namespace


@dataclass
class Received:
    headers: dict
    body: bytes


@dataclass
class WebhookReceiver:
    """Answers each POST with the next status of `statuses` (then 204) and records it."""

    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hook"

    def __enter__(self) -> WebhookReceiver:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                owner.received.append(Received(dict(self.headers), body))
                self.send_response(owner.statuses.pop(0) if owner.statuses else 204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def sqs_messages(bodies: list[dict]) -> list[dict]:
    """Received-message shapes for bodies that never went through a queue (first receive)."""
    return [
        {
            "MessageId": f"m{i}",
            "ReceiptHandle": f"r{i}",
            "Body": json.dumps(body),
            "MD5OfBody": "x",
            "Attributes": {"ApproximateReceiveCount": "1"},
        }
        for i, body in enumerate(bodies)
    ]
