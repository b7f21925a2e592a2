"""EventBridge publisher for the `healthcheck` bus.

Events reach the publisher through the outbox (services/outbox.py), only once the cache can no longer
serve a value older than the change (ARCHITECTURE.md invariant 1): `cacheInvalidated` is always true.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from shared.observability import logger

SOURCE = "healthcheck"
RUN_COMPLETED = "Health Check Run Completed"
CHECK_COMPLETED = "Health Check Completed"
SYSTEM_HEALTH_CHANGED = "System Health Changed"
ASSIGNMENT_CHANGED = "Health Check Assignment Changed"
PUT_EVENTS_LIMIT = 10
PUT_EVENTS_MAX_BYTES = 256_000  # EventBridge's limit on one PutEvents request is 256 KiB
# Per-run events: one or two per run, so they dominate the bill; HC_RUN_EVENTS=false turns them off.
RUN_EVENT_TYPES = frozenset({RUN_COMPLETED, CHECK_COMPLETED})


@dataclass(frozen=True)
class Event:
    detail_type: str
    detail: dict[str, Any]

    def acknowledged(self, cache_invalidated: bool) -> Event:
        """The event as published: it says whether the cache invalidation before it was acknowledged."""
        return Event(self.detail_type, self.detail | {"cacheInvalidated": cache_invalidated})


class Publisher(Protocol):
    def publish(self, events: list[Event]) -> None: ...


class EventBridgePublisher:
    def __init__(self, client: Any, bus_name: str, *, run_events: bool = True):
        self._client = client
        self._bus = bus_name
        self._run_events = run_events

    def publish(self, events: list[Event]) -> None:
        """Put events in as few calls as EventBridge allows (ten entries, 256 KiB each); entries it
        refused are retried once, then logged. Per-run events are dropped when turned off."""
        if not self._run_events:
            events = [e for e in events if e.detail_type not in RUN_EVENT_TYPES]
        for chunk in _chunks([self._entry(e) for e in events]):
            for _ in range(2):
                answer = self._client.put_events(Entries=chunk)
                if not answer.get("FailedEntryCount"):
                    break
                chunk = [e for e, r in zip(chunk, answer["Entries"], strict=True) if r.get("ErrorCode")]
            else:
                logger.error(
                    "events not published", failed=len(chunk), detail_types=[e["DetailType"] for e in chunk]
                )

    def _entry(self, event: Event) -> dict:
        return {
            "Source": SOURCE,
            "DetailType": event.detail_type,
            "Detail": json.dumps(event.detail, default=str),
            "EventBusName": self._bus,
        }


def _chunks(entries: list[dict]) -> list[list[dict]]:
    chunks: list[list[dict]] = []
    size = 0
    for entry in entries:
        entry_size = sum(len(str(value).encode()) for value in entry.values())
        if not chunks or len(chunks[-1]) == PUT_EVENTS_LIMIT or size + entry_size > PUT_EVENTS_MAX_BYTES:
            chunks.append([])
            size = 0
        chunks[-1].append(entry)
        size += entry_size
    return chunks


@dataclass
class RecordingPublisher:
    """Keeps published events in memory (tests, benchmarks)."""

    events: list[Event] = field(default_factory=list)

    def publish(self, events: list[Event]) -> None:
        self.events.extend(events)

    def of_type(self, detail_type: str) -> list[dict]:
        return [e.detail for e in self.events if e.detail_type == detail_type]
