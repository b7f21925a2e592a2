"""The SQS checks queue: one message per (system, configuration) run, sent in batches of ten."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from shared.domain.errors import UnavailableError

SEND_BATCH_LIMIT = 10
MAX_DELAY_SECONDS = 900


@dataclass(frozen=True)
class CheckRequest:
    system_id: str
    configuration_id: str
    requested_at: str
    trigger: str  # "schedule" | "manual"
    delay_seconds: int = 0

    def body(self) -> str:
        return json.dumps(
            {
                "systemId": self.system_id,
                "configurationId": self.configuration_id,
                "requestedAt": self.requested_at,
                "trigger": self.trigger,
            }
        )


class ChecksQueue:
    def __init__(self, client: Any, queue_url: str):
        self._client = client
        self._url = queue_url

    def send(self, requests: list[CheckRequest]) -> list[CheckRequest]:
        """Send every request; returns those SQS refused even after one retry (the caller decides)."""
        refused: list[CheckRequest] = []
        for start in range(0, len(requests), SEND_BATCH_LIMIT):
            chunk = {str(i): r for i, r in enumerate(requests[start : start + SEND_BATCH_LIMIT])}
            for _ in range(2):
                answer = self._client.send_message_batch(
                    QueueUrl=self._url,
                    Entries=[
                        {
                            "Id": i,
                            "MessageBody": r.body(),
                            "DelaySeconds": max(0, min(MAX_DELAY_SECONDS, r.delay_seconds)),
                        }
                        for i, r in chunk.items()
                    ],
                )
                chunk = {f["Id"]: chunk[f["Id"]] for f in answer.get("Failed", [])}
                if not chunk:
                    break
            refused.extend(chunk.values())
        return refused

    def send_one(self, request: CheckRequest) -> None:
        if self.send([request]):
            raise UnavailableError("the checks queue refused the run request")
