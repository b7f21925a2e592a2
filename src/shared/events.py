"""EventBridge publisher for the `healthcheck` bus.

Callers publish only after the cache invalidation the same change needs was acknowledged
(ARCHITECTURE.md invariant 1); every event says whether it was (`cacheInvalidated`).
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
    def __init__(self, client: Any, bus_name: str):
        self._client = client
        self._bus = bus_name

    def publish(self, events: list[Event]) -> None:
        """Put events in chunks of ten; entries EventBridge refused are retried once, then logged."""
        for start in range(0, len(events), PUT_EVENTS_LIMIT):
            chunk = events[start : start + PUT_EVENTS_LIMIT]
            for _ in range(2):
                entries = [
                    {
                        "Source": SOURCE,
                        "DetailType": e.detail_type,
                        "Detail": json.dumps(e.detail, default=str),
                        "EventBusName": self._bus,
                    }
                    for e in chunk
                ]
                answer = self._client.put_events(Entries=entries)
                if not answer.get("FailedEntryCount"):
                    break
                chunk = [e for e, r in zip(chunk, answer["Entries"], strict=True) if r.get("ErrorCode")]
            else:
                logger.error(
                    "events not published", failed=len(chunk), detail_types=[e.detail_type for e in chunk]
                )


@dataclass
class RecordingPublisher:
    """Keeps published events in memory (tests, benchmarks)."""

    events: list[Event] = field(default_factory=list)

    def publish(self, events: list[Event]) -> None:
        self.events.extend(events)

    def of_type(self, detail_type: str) -> list[dict]:
        return [e.detail for e in self.events if e.detail_type == detail_type]
