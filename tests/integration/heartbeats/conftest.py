"""Heartbeat tests run on the in-process stack with a fake clock; SQS delays are clamped to zero
so a deadline check is delivered at the next tick (the executor refuses one that comes early)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared import queue
from shared.services.context import default_collaborators
from tests.integration.api.conftest import *  # noqa: F403
from tests.integration.api.stack import add_system, created
from tests.integration.pipeline.conftest import drain_queue

START = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
IMMEDIATE = {"mode": "consecutive", "degradedAfter": 1, "unhealthyAfter": 1, "recoverAfter": 1}


class FakeClock:
    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


@pytest.fixture
def clock(stack, monkeypatch):
    monkeypatch.setattr(queue, "MAX_DELAY_SECONDS", 0)
    fake = FakeClock(START)
    default_collaborators().clock = fake
    return fake


def heartbeat_check(
    stack, *, system_id: str = "nightly", config: dict | None = None, thresholds: dict | None = None
) -> str:
    """A system with a heartbeat check assigned (unhealthy after one miss); returns its ping token."""
    add_system(stack, system_id)
    created(
        stack.call(
            "POST",
            "/configurations",
            {
                "id": f"{system_id}-beat",
                "name": "Nightly job",
                "strategyId": "heartbeat",
                "intervalSeconds": 60,
                "config": config or {"periodSeconds": 60, "graceSeconds": 30},
            },
        )
    )
    created(
        stack.call(
            "PUT",
            f"/systems/{system_id}/checks/{system_id}-beat",
            {"stateThresholds": thresholds or IMMEDIATE},
        )
    )
    answer = created(stack.call("POST", f"/systems/{system_id}/checks/{system_id}-beat/ping-token"))
    return answer["token"]


def ping(stack, token: str, suffix: str = "", *, body: bytes | None = None, method: str = "POST"):
    path = f"/ping/{token}" + (f"/{suffix}" if suffix else "")
    return stack.call(method, path, key=None, raw_body=body, headers={"content-type": "text/plain"})


def tick(stack) -> None:
    """One scheduler tick, then the executor drains what it enqueued."""
    stack.invoke("SchedulerFunction", {"source": "aws.scheduler", "detail-type": "Scheduled Event"})
    drain_queue(stack)


def health(stack, system_id: str = "nightly") -> str:
    return stack.call("GET", f"/systems/{system_id}/health").body["status"]


def three_systems(stack, clock) -> None:
    """web (healthy), db (down) and queue (degraded, with maintenance now and a later one)."""
    ping(stack, heartbeat_check(stack, system_id="web"))
    ping(stack, heartbeat_check(stack, system_id="db"), "fail")
    lenient = {"mode": "consecutive", "degradedAfter": 1, "unhealthyAfter": 3, "recoverAfter": 1}
    ping(stack, heartbeat_check(stack, system_id="queue", thresholds=lenient), "fail")
    for title, start, end in (("Broker upgrade", -600, 3600), ("Disk swap", 86400, 90000)):
        created(
            stack.call(
                "POST",
                "/systems/queue/maintenances",
                {
                    "title": title,
                    "startsAt": (clock.moment + timedelta(seconds=start)).isoformat(),
                    "endsAt": (clock.moment + timedelta(seconds=end)).isoformat(),
                },
            )
        )
    created(
        stack.call(
            "POST",
            "/status-pages",
            {
                "slug": "acme",
                "title": "Acme status",
                "systems": [
                    {"systemId": "web", "group": "Front"},
                    {"systemId": "db", "group": "Back"},
                    {"systemId": "queue", "group": "Back", "label": "Job queue"},
                ],
            },
        )
    )
