"""The agent's decisions with an in-memory API and probes: ETags, cached assignments, once mode, payloads."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

from satellite.agent import EXIT_OK, EXIT_TEMPORARY_FAILURE, EXIT_UNAUTHORIZED, Agent, result_payload
from satellite.assignments import Assignment
from satellite.client import ApiUnavailableError, AssignmentsAnswer, IngestAnswer, UnauthorizedError
from satellite.config import Settings
from satellite.spool import Spool
from shared.strategies.runner import CheckSpec, ProbeOutcome

STARTED_AT = datetime(2025, 3, 1, 8, 30, 0, 123000, tzinfo=UTC)


def assignment_item(configuration_id: str) -> dict:
    return {
        "systemId": "billing",
        "configurationId": configuration_id,
        "strategyId": "http",
        "config": {"url": "https://billing.example.com/health"},
        "assertions": [],
        "intervalSeconds": 60,
        "timeoutSeconds": 5,
    }


class InMemoryApi:
    def __init__(self, items: list[dict], etag: str = '"v1"') -> None:
        self.items, self.etag = items, etag
        self.etags_sent: list[str | None] = []
        self.fetch_error: Exception | None = None
        self.send_errors: list[Exception] = []
        self.send_attempts = 0
        self.received: dict[str, dict] = {}
        self.heartbeats = 0

    async def fetch_assignments(self, etag: str | None) -> AssignmentsAnswer | None:
        self.etags_sent.append(etag)
        if self.fetch_error is not None:
            raise self.fetch_error
        return None if etag == self.etag else AssignmentsAnswer(self.etag, self.items)

    async def send_results(self, results: list[dict]) -> IngestAnswer:
        self.send_attempts += 1
        if self.send_errors:
            raise self.send_errors.pop(0)
        fresh = [item["resultId"] for item in results if item["resultId"] not in self.received]
        self.received.update({item["resultId"]: item for item in results})
        duplicates = [item["resultId"] for item in results if item["resultId"] not in fresh]
        return IngestAnswer(accepted=fresh, duplicates=duplicates, rejected=[])

    async def send_heartbeat(self, version: str = "") -> None:
        self.heartbeats += 1


class HealthyProbes:
    def __init__(self) -> None:
        self.runs: list[list[str]] = []

    async def __call__(self, specs: list[CheckSpec]) -> list[ProbeOutcome]:
        self.runs.append([spec.key for spec in specs])
        return [outcome(spec.key) for spec in specs]


def outcome(key: str, latency_ms: float | None = 12.6) -> ProbeOutcome:
    return ProbeOutcome(
        key=key,
        status="healthy",
        latency_ms=latency_ms,
        result={"statusCode": 200, "responseTimeMs": 12.6},
        assertions=[],
        error=None,
        started_at=STARTED_AT,
    )


def settings_for(tmp_path: Path) -> Settings:
    return Settings(
        endpoint="https://api.example.com",
        token="hcs.edge-1.secret",
        spool_path=tmp_path / "spool.sqlite3",
        backoff_base_seconds=0.001,
        backoff_cap_seconds=0.01,
        once_send_attempts=3,
    )


def agent_for(tmp_path: Path, api: InMemoryApi, probes: HealthyProbes | None = None) -> tuple[Agent, Spool]:
    spool = Spool(tmp_path / "spool.sqlite3", max_results=1000)
    return Agent(
        settings_for(tmp_path), api, spool, run_probes=probes or HealthyProbes(), random_fraction=lambda: 0
    ), spool


def test_assignments_are_asked_for_with_the_last_etag_and_kept_when_unchanged(tmp_path: Path) -> None:
    # given
    api = InMemoryApi([assignment_item("home")])
    agent, _ = agent_for(tmp_path, api)

    # when
    changes = [asyncio.run(agent.refresh_assignments()) for _ in range(2)]

    # then
    assert changes == [True, False]
    assert api.etags_sent == [None, '"v1"']
    assert [assignment.configuration_id for assignment in agent.assignments] == ["home"]


def test_assignments_with_a_new_etag_replace_the_old_ones(tmp_path: Path) -> None:
    # given
    api = InMemoryApi([assignment_item("home")])
    agent, _ = agent_for(tmp_path, api)
    asyncio.run(agent.refresh_assignments())
    api.items, api.etag = [assignment_item("login"), assignment_item("cart")], '"v2"'

    # when
    changed = asyncio.run(agent.refresh_assignments())

    # then
    assert changed
    assert [assignment.configuration_id for assignment in agent.assignments] == ["login", "cart"]


def test_an_invalid_assignment_is_skipped_and_the_others_kept(tmp_path: Path) -> None:
    # given
    api = InMemoryApi([assignment_item("home"), {"systemId": "billing"}])
    agent, _ = agent_for(tmp_path, api)

    # when
    asyncio.run(agent.refresh_assignments())

    # then
    assert [assignment.configuration_id for assignment in agent.assignments] == ["home"]


def test_once_mode_runs_every_check_and_sends_every_result(tmp_path: Path) -> None:
    # given
    api = InMemoryApi([assignment_item("home"), assignment_item("login")])
    probes = HealthyProbes()
    agent, spool = agent_for(tmp_path, api, probes)

    # when
    exit_code = asyncio.run(agent.run_once(asyncio.Event()))

    # then
    assert exit_code == EXIT_OK
    assert probes.runs == [["billing/home", "billing/login"]]
    assert sorted(item["configurationId"] for item in api.received.values()) == ["home", "login"]
    assert api.heartbeats == 1
    assert len(spool) == 0


def test_once_mode_retries_a_throttled_send_and_then_delivers(tmp_path: Path) -> None:
    # given
    api = InMemoryApi([assignment_item("home")])
    api.send_errors = [ApiUnavailableError("throttled", status=429, retry_after_seconds=0)] * 2
    agent, spool = agent_for(tmp_path, api)

    # when
    exit_code = asyncio.run(agent.run_once(asyncio.Event()))

    # then
    assert exit_code == EXIT_OK
    assert api.send_attempts == 3
    assert len(api.received) == 1
    assert len(spool) == 0


def test_a_restart_while_the_api_is_down_probes_the_cached_assignments_and_keeps_the_results(
    tmp_path: Path,
) -> None:
    # given
    api = InMemoryApi([assignment_item("home")])
    first_agent, first_spool = agent_for(tmp_path, api)
    asyncio.run(first_agent.refresh_assignments())
    first_spool.close()
    api.fetch_error = ApiUnavailableError("cannot reach the API")
    api.send_errors = [ApiUnavailableError("cannot reach the API")] * 10
    probes = HealthyProbes()
    restarted, spool = agent_for(tmp_path, api, probes)

    # when
    exit_code = asyncio.run(restarted.run_once(asyncio.Event()))

    # then
    assert exit_code == EXIT_TEMPORARY_FAILURE
    assert probes.runs == [["billing/home"]]
    assert api.send_attempts == settings_for(tmp_path).once_send_attempts
    assert len(spool) == 1


def test_a_refused_token_ends_once_mode_before_any_check_runs(tmp_path: Path) -> None:
    # given
    api = InMemoryApi([assignment_item("home")])
    api.fetch_error = UnauthorizedError("the API refused the satellite token", status=401)
    probes = HealthyProbes()
    agent, _ = agent_for(tmp_path, api, probes)

    # when
    exit_code = asyncio.run(agent.run_once(asyncio.Event()))

    # then
    assert exit_code == EXIT_UNAUTHORIZED
    assert probes.runs == []


def test_a_result_carries_a_fresh_id_the_stored_result_and_a_utc_timestamp() -> None:
    # given
    assignment = Assignment.model_validate(assignment_item("home"))

    # when
    first = result_payload(assignment, outcome("billing/home"))
    second = result_payload(assignment, outcome("billing/home"))

    # then
    assert first["resultId"] != second["resultId"]
    assert uuid.UUID(first["resultId"]).version == 4
    assert first == {
        "resultId": first["resultId"],
        "systemId": "billing",
        "configurationId": "home",
        "status": "healthy",
        "latencyMs": 13,
        "result": {"statusCode": 200, "responseTimeMs": 12.6},
        "executedAt": "2025-03-01T08:30:00.123Z",
    }


def test_a_result_without_a_latency_leaves_the_field_out() -> None:
    # given
    assignment = Assignment.model_validate(assignment_item("home"))

    # when
    payload = result_payload(assignment, outcome("billing/home", latency_ms=None))

    # then
    assert "latencyMs" not in payload
