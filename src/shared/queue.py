"""The SQS queues: the checks queue (one message per run) and the scheduler's shard queue (one
message per due-index shard and tick), both sent in batches of ten; the retention continuation
queue (one message when an invocation ran out of time)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeVar

from shared.domain.errors import UnavailableError

SEND_BATCH_LIMIT = 10
MAX_DELAY_SECONDS = 900
T = TypeVar("T")


@dataclass(frozen=True)
class CheckRequest:
    system_id: str
    configuration_id: str
    requested_at: str
    trigger: str  # "schedule" | "manual" | "deadline"
    delay_seconds: int = 0
    run_id: str | None = None  # scheduled runs name their slot; others take the message id
    slot_at: int | None = None  # the slot `run_id` names (epoch seconds): the run item is filed under it
    deadline: int | None = None  # a heartbeat's deadline to check (epoch seconds) instead of a probe

    def body(self) -> str:
        body = {
            "systemId": self.system_id,
            "configurationId": self.configuration_id,
            "requestedAt": self.requested_at,
            "trigger": self.trigger,
        }
        if self.deadline is not None:
            body["deadline"] = self.deadline
        if self.slot_at is not None:
            body["slotAt"] = self.slot_at
        return json.dumps(body | ({"runId": self.run_id} if self.run_id else {}))


def send_in_batches(client: Any, queue_url: str, entries: list[tuple[T, dict]]) -> list[T]:
    """Send (item, entry) pairs ten at a time; returns the items SQS refused even after one retry."""
    refused: list[T] = []
    for start in range(0, len(entries), SEND_BATCH_LIMIT):
        chunk = {str(i): pair for i, pair in enumerate(entries[start : start + SEND_BATCH_LIMIT])}
        for _ in range(2):
            answer = client.send_message_batch(
                QueueUrl=queue_url, Entries=[{"Id": i, **entry} for i, (_, entry) in chunk.items()]
            )
            chunk = {f["Id"]: chunk[f["Id"]] for f in answer.get("Failed", [])}
            if not chunk:
                break
        refused.extend(item for item, _ in chunk.values())
    return refused


class ChecksQueue:
    def __init__(self, client: Any, queue_url: str):
        self._client = client
        self._url = queue_url

    def send(self, requests: list[CheckRequest]) -> list[CheckRequest]:
        """Send every request; returns those SQS refused even after one retry (the caller decides)."""
        return send_in_batches(
            self._client,
            self._url,
            [
                (
                    r,
                    {
                        "MessageBody": r.body(),
                        "DelaySeconds": max(0, min(MAX_DELAY_SECONDS, r.delay_seconds)),
                    },
                )
                for r in requests
            ],
        )

    def send_one(self, request: CheckRequest) -> None:
        if self.send([request]):
            raise UnavailableError("the checks queue refused the run request")


@dataclass(frozen=True)
class ShardRequest:
    """One shard of the due index for one scheduler tick, handed to a shard worker."""

    shard: str
    tick_start: int

    def body(self) -> str:
        return json.dumps({"shard": self.shard, "tickStart": self.tick_start})

    @classmethod
    def parse(cls, body: str) -> ShardRequest:
        fields = json.loads(body)
        return cls(str(fields["shard"]), int(fields["tickStart"]))


class ShardQueue:
    def __init__(self, client: Any, queue_url: str):
        self._client = client
        self._url = queue_url

    def send(self, requests: list[ShardRequest]) -> list[ShardRequest]:
        """Send every shard request; returns those SQS refused even after one retry."""
        return send_in_batches(self._client, self._url, [(r, {"MessageBody": r.body()}) for r in requests])


class ContinuationQueue:
    """The retention continuation queue: each message starts one more retention invocation now."""

    def __init__(self, client: Any, queue_url: str):
        self._client = client
        self._url = queue_url

    def request(self, reason: str) -> None:
        """Ask for another invocation at once (raises if SQS refused: the hourly schedule remains)."""
        self._client.send_message(QueueUrl=self._url, MessageBody=json.dumps({"continue": reason}))
