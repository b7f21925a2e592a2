"""Satellite ingest: one POST /satellite/results of 500 results through the real handler.

Counts the DynamoDB calls the request makes (goal: at most 0.1 per result plus one state update per
(system, check, source) slice) and compares its results/s with `record_run` called once per result,
same process, same store. Each path writes its own system so neither reads the other's history.
Run: `PYTHONPATH=src:. python -m bench.ingest` from the repository root.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from bench import describe, in_process_stack, use_fake_aws
from bench.sizes import scaled
from bench.table import row

RESULTS = scaled(500, 20)
CALLS_PER_RESULT = 0.1
SATELLITE_ID = "bench-satellite"
CONFIGURATION_ID = "bench-http"
BULK_SYSTEM = "bench-ingest-bulk"
LOOP_SYSTEM = "bench-ingest-loop"


def _catalog() -> str:
    """The satellite (its token is returned), one configuration, two systems assigned to the satellite."""
    from shared.domain.access_models import SatelliteCreate
    from shared.domain.assignment_models import AssignmentPut
    from shared.domain.models import ConfigurationCreate, SystemCreate
    from shared.services import access, assignments, catalog, configurations
    from shared.services.context import default_collaborators

    c = default_collaborators()
    token = access.create_satellite(
        c, SatelliteCreate(id=SATELLITE_ID, name="Bench", region="eu-west-1")
    ).token
    configurations.create_configuration(
        c,
        ConfigurationCreate(
            id=CONFIGURATION_ID,
            name="Bench HTTP",
            strategy_id="http",
            config={"url": "https://example.com/health"},
            interval_seconds=60,
            timeout_seconds=5,
        ),
    )
    for system_id in (BULK_SYSTEM, LOOP_SYSTEM):
        catalog.create_system(c, SystemCreate(id=system_id, name=system_id.title()))
        assignments.put_assignment(
            c, system_id, CONFIGURATION_ID, AssignmentPut(satellite_ids=[SATELLITE_ID]), expected_version=None
        )
    return token


def _moments(now: datetime) -> list[datetime]:
    """RESULTS execution times over the last ~40 minutes, oldest first, spanning an hour boundary or not."""
    return [now - timedelta(seconds=5 * (RESULTS - n)) for n in range(RESULTS)]


def _status(n: int) -> str:
    return "unhealthy" if n % 50 == 49 else "healthy"


def _results_event(stack, token: str, now: datetime) -> dict:
    from local.http_gateway import http_api_event

    results = [
        {
            "resultId": f"bulk-{n:04d}",
            "systemId": BULK_SYSTEM,
            "configurationId": CONFIGURATION_ID,
            "status": _status(n),
            "latencyMs": 100 + n % 37,
            "executedAt": moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        }
        for n, moment in enumerate(_moments(now))
    ]
    route, parameters = stack.routes.match("POST", "/satellite/results")
    return http_api_event(
        route=route,
        path_parameters=parameters,
        method="POST",
        raw_path="/satellite/results",
        raw_query_string="",
        headers=[("content-type", "application/json"), ("authorization", f"Bearer {token}")],
        body=json.dumps({"results": results}).encode(),
        source_ip="127.0.0.1",
    )


def _run_inputs(now: datetime) -> list:
    from shared.domain.models import format_timestamp
    from shared.services.recording import RunInput

    return [
        RunInput(
            run_id=f"sat:{SATELLITE_ID}:loop-{n:04d}",
            system_id=LOOP_SYSTEM,
            configuration_id=CONFIGURATION_ID,
            source_id=SATELLITE_ID,
            source_label="Bench (eu-west-1)",
            status=_status(n),
            latency_ms=float(100 + n % 37),
            timestamp=format_timestamp(moment),
            expires_at=int((moment + timedelta(days=7)).timestamp()),
        )
        for n, moment in enumerate(_moments(now))
    ]


def rows() -> list[dict]:
    use_fake_aws()  # before anything builds the Powertools logger and metrics
    with in_process_stack(CACHE_BACKEND="memory") as (stack, calls):
        from shared.services.context import default_collaborators
        from shared.services.recording import record_run

        token = _catalog()
        now = datetime.now(UTC)
        heartbeat = stack.call("POST", "/satellite/heartbeat", {}, key=token)  # loads the handler module
        assert heartbeat.status == 204, heartbeat
        event = _results_event(stack, token, now)

        before = calls.snapshot()
        started = time.perf_counter()
        answer = stack.invoke("SatelliteIngestFunction", event)
        bulk_seconds = time.perf_counter() - started
        bulk_calls = calls.since(before)
        assert answer["statusCode"] == 200, answer
        report = json.loads(answer["body"])
        assert len(report["accepted"]) == RESULTS, {k: v[:3] for k, v in report.items()}

        runs = _run_inputs(now)
        c = default_collaborators()
        before = calls.snapshot()
        started = time.perf_counter()
        outcomes = Counter(record_run(c, run).outcome for run in runs)
        loop_seconds = time.perf_counter() - started
        loop_calls = calls.since(before)
        assert outcomes == {"recorded": RESULTS}, outcomes
        assert stack.moto_backups.rollbacks == 0, "a transaction was cancelled; figures are not clean"

    slices = 1  # one system, one check, one source
    allowed = CALLS_PER_RESULT * RESULTS + slices
    bulk_total = sum(bulk_calls.values())
    loop_total = sum(loop_calls.values())
    bulk_rate, loop_rate = RESULTS / bulk_seconds, RESULTS / loop_seconds
    return [
        row(
            "satellite ingest DynamoDB calls per result (calls/result)",
            bulk_total,
            RESULTS,
            f"<= {CALLS_PER_RESULT}/result + {slices} slice",
            bulk_total <= allowed,
            f"one POST /satellite/results of {RESULTS} results for one (system, check, satellite) slice"
            f" through SatelliteIngestFunction: {bulk_total} calls, at most {allowed:g} allowed;"
            f" {describe(bulk_calls)}",
            ratio=round(bulk_total / RESULTS, 3),
        ),
        row(
            "satellite ingest results/s, bulk handler vs record_run loop",
            round(bulk_rate, 1),
            round(loop_rate, 1),
            ">= 1x",
            bulk_rate >= loop_rate,
            f"{RESULTS} results in one request ({bulk_seconds * 1000:.0f} ms) vs record_run called {RESULTS}"
            f" times ({loop_seconds * 1000:.0f} ms, {loop_total / RESULTS:.2f} calls/run:"
            f" {describe(loop_calls)});"
            f" same process and moto store, one sample each",
            ratio=round(bulk_rate / loop_rate, 2),
        ),
    ]


if __name__ == "__main__":
    from bench.table import render

    print(render(rows()))
