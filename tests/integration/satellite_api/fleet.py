"""Helpers for the satellite API tests: a fake clock, satellites with tokens, results to post."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from shared import aws
from shared.domain.models import format_timestamp
from shared.services import context
from tests.integration.api.stack import Answer, Stack, created

START = datetime(2030, 1, 6, 12, 0, 0, tzinfo=UTC)
_ids = itertools.count(1)


@dataclass
class FakeClock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def hold_clock(clock: FakeClock | None = None) -> FakeClock:
    """Every handler of the stack reads this clock from now on."""
    clock = clock or FakeClock()
    context.default_collaborators().clock = clock
    return clock


@dataclass
class Satellite:
    id: str
    name: str
    region: str
    token: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.region})"


def add_satellite(
    stack: Stack, satellite_id: str, name: str | None = None, region: str = "eu-west-1", **fields: Any
) -> Satellite:
    request = {"id": satellite_id, "name": name or satellite_id.title(), "region": region} | fields
    body = created(stack.call("POST", "/satellites", request))
    return Satellite(satellite_id, body["satellite"]["name"], body["satellite"]["region"], body["token"])


def result(
    system_id: str,
    configuration_id: str,
    at: datetime,
    *,
    result_id: str | None = None,
    status: str | None = "healthy",
    **fields: Any,
) -> dict:
    item = {
        "resultId": result_id or f"r-{next(_ids)}",
        "systemId": system_id,
        "configurationId": configuration_id,
        "executedAt": format_timestamp(at),
        "latencyMs": 12.5,
    }
    if status is not None:
        item["status"] = status
    return item | fields


def post_results(stack: Stack, satellite: Satellite, results: list[dict]) -> Answer:
    return stack.call("POST", "/satellite/results", {"results": results}, key=satellite.token)


def pulled(stack: Stack, satellite: Satellite, **headers: str) -> Answer:
    return stack.call("GET", "/satellite/assignments", key=satellite.token, headers=headers)


def runs(stack: Stack, system_id: str, configuration_id: str, **query: str) -> list[dict]:
    answer = stack.call(
        "GET",
        f"/systems/{system_id}/checks/{configuration_id}/runs",
        query={"from": "2029-12-01T00:00:00Z", "to": "2030-02-01T00:00:00Z"} | query,
    )
    assert answer.status == 200, answer.body
    return answer.body["items"]


def health(stack: Stack, system_id: str) -> dict:
    answer = stack.call("GET", f"/systems/{system_id}/health")
    assert answer.status == 200, answer.body
    return answer.body


def record_local(
    system_id: str, configuration_id: str, status: str, at: datetime, *, run_id: str | None = None
):
    """A local run through the same record-the-run service the executor uses."""
    from shared.services.recording import RunInput, record_run

    return record_run(
        context.default_collaborators(),
        RunInput(
            run_id=run_id or f"local-{next(_ids)}",
            system_id=system_id,
            configuration_id=configuration_id,
            source_id="local",
            source_label="Local",
            status=status,
            latency_ms=20.0,
            timestamp=format_timestamp(at),
        ),
    )


def check(system_health: dict, configuration_id: str) -> dict:
    [found] = [c for c in system_health["checks"] if c["configurationId"] == configuration_id]
    return found


def count_dynamodb_calls() -> Counter:
    """Count, by operation, the calls the repository's one DynamoDB client makes from now on."""
    calls: Counter = Counter()
    client = aws.dynamodb()
    client.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: calls.update([model.name]), unique_id="count-calls"
    )
    return calls
