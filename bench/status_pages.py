"""Status pages and pings: a page of 50 systems rendered through the real handler against a bulk
health read of the same systems, and heartbeat pings through the real ping handler against
`record_run` called directly (same process, same moto store, same run count).

Run: `PYTHONPATH=src:. python -m bench.status_pages` from the repository root.
"""

from __future__ import annotations

import gzip
import statistics
import time
from collections import Counter

from bench import describe, in_process_stack, reconfigure, use_fake_aws
from bench.sizes import scaled
from bench.table import row

SYSTEMS = scaled(50, 3)
SAMPLES = scaled(15, 2)
PAGE_GOAL_RATIO = 5.0  # a warm page may cost at most 5 bulk health reads of its systems
TOKENS = scaled(10, 2)
PINGS_PER_TOKEN = scaled(10, 2)
PING_GOAL_RATIO = 0.5  # a ping may cost at most twice a bare record_run


def _heartbeat(c, system_id: str) -> str:
    from shared.domain.assignment_models import AssignmentPut, ConsecutiveThresholds
    from shared.domain.models import ConfigurationCreate, SystemCreate
    from shared.services import assignments, catalog, configurations, heartbeats

    catalog.create_system(c, SystemCreate(id=system_id, name=system_id.title()))
    configurations.create_configuration(
        c,
        ConfigurationCreate(
            id=system_id,
            name="Job",
            strategy_id="heartbeat",
            config={"periodSeconds": 3600, "graceSeconds": 600},
            interval_seconds=60,
        ),
    )
    assignments.put_assignment(
        c,
        system_id,
        system_id,
        AssignmentPut(state_thresholds=ConsecutiveThresholds()),
        expected_version=None,
    )
    return heartbeats.issue_ping_token(c, system_id, system_id)["token"]


def _median_ms(call, samples: int = SAMPLES) -> float:
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _page_row(stack, calls) -> dict:
    from shared.services.context import default_collaborators

    c = default_collaborators()
    ids = [f"bench-page-{n:02d}" for n in range(SYSTEMS)]
    for system_id in ids:
        token = _heartbeat(c, system_id)
        assert stack.call("POST", f"/ping/{token}", key=None).status == 200
    systems = [{"systemId": s} for s in ids]
    created = stack.call("POST", "/status-pages", {"slug": "bench", "title": "Bench", "systems": systems})
    assert created.status == 201, created

    def page():
        answer = stack.call("GET", "/status/bench", key=None)
        assert answer.status == 200, answer.status

    def batch():
        answer = stack.call("POST", "/health/batch", {"systemIds": ids}, key=None)
        assert answer.status == 200, answer.status

    reconfigure(stack, calls, CACHE_BACKEND="memory", HC_PUBLIC_STATUS="true")
    before = calls.snapshot()
    cold_started = time.perf_counter()
    page()
    cold_ms = (time.perf_counter() - cold_started) * 1000
    cold_calls = calls.since(before)
    page_ms, batch_ms = _median_ms(page), _median_ms(batch)
    before = calls.snapshot()
    page()
    warm_calls = calls.since(before)
    hidden = stack.call("PATCH", "/status-pages/bench", {"show": {"incidents": False}})
    assert hidden.status == 200, hidden
    page()
    without_incidents_ms = _median_ms(page)
    stack.call("PATCH", "/status-pages/bench", {"show": {"incidents": True}})
    html = stack.call("GET", "/status/bench", key=None).body
    page_bytes, gzipped_bytes = len(html.encode()), len(gzip.compress(html.encode()))
    ratio = page_ms / batch_ms
    return row(
        f"status page render, {SYSTEMS} systems (ms) vs /health/batch of the same (ratio)",
        round(page_ms, 1),
        round(batch_ms, 1),
        f"<= {PAGE_GOAL_RATIO:g}x",
        ratio <= PAGE_GOAL_RATIO,
        f"warm medians of {SAMPLES} GET /status/bench (HTML, memory cache) and POST /health/batch through"
        f" their handlers; the first (cold) render took {cold_ms:.0f} ms with {sum(cold_calls.values())}"
        f" DynamoDB calls ({describe(cold_calls)}) on moto; a warm render makes"
        f" {sum(warm_calls.values())} ({describe(warm_calls) or 'none'}: the open and recent incidents,"
        f" never cached); {without_incidents_ms:.1f} ms warm with the incidents section hidden;"
        f" HTML {page_bytes // 1024} KiB,"
        f" {gzipped_bytes // 1024} KiB gzipped",
        ratio=round(ratio, 2),
    )


def _ping_row(stack, calls) -> dict:
    from shared.domain.heartbeat import Ping
    from shared.services import heartbeats
    from shared.services.context import default_collaborators
    from shared.services.heartbeats import _ping_run
    from shared.services.recording import record_run

    c = default_collaborators()
    tokens = [_heartbeat(c, f"bench-ping-{n:02d}") for n in range(TOKENS)]
    loop_ids = [f"bench-loop-{n:02d}" for n in range(TOKENS)]
    for system_id in loop_ids:
        _heartbeat(c, system_id)
    assert stack.call("POST", f"/ping/{tokens[0]}", key=None).status == 200  # loads the handler module
    pings = [t for t in tokens for _ in range(PINGS_PER_TOKEN)]
    heartbeats.PINGS_PER_MINUTE = 10 * PINGS_PER_TOKEN
    before = calls.snapshot()
    started = time.perf_counter()
    statuses = Counter(stack.call("POST", f"/ping/{t}", key=None, raw_body=b"ok").status for t in pings)
    ping_seconds = time.perf_counter() - started
    ping_calls = calls.since(before)
    assert statuses == {200: len(pings)}, statuses
    runs = [
        _ping_run(s, s, Ping("success"), b"ok", c.clock(), None)
        for s in loop_ids
        for _ in range(PINGS_PER_TOKEN)
    ]
    started = time.perf_counter()
    outcomes = Counter(record_run(c, run).outcome for run in runs)
    loop_seconds = time.perf_counter() - started
    assert outcomes == {"recorded": len(runs)}, outcomes
    ping_rate, loop_rate = len(pings) / ping_seconds, len(runs) / loop_seconds
    return row(
        "ping ingest (pings/s through the handler)",
        round(ping_rate, 1),
        round(loop_rate, 1),
        f">= {PING_GOAL_RATIO:g}x record_run",
        ping_rate / loop_rate >= PING_GOAL_RATIO,
        f"{len(pings)} POST /ping/{{token}} over {TOKENS} tokens through PingFunction vs record_run called"
        f" {len(runs)} times; {sum(ping_calls.values()) / len(pings):.1f} DynamoDB calls per ping"
        f" ({describe(ping_calls)}); moto store, so compare the ratio, not the rate",
        ratio=round(ping_rate / loop_rate, 2),
    )


def rows() -> list[dict]:
    use_fake_aws()
    with in_process_stack(CACHE_BACKEND="memory") as (stack, calls):
        return [_page_row(stack, calls), _ping_row(stack, calls)]


if __name__ == "__main__":
    from bench.table import render

    print(render(rows()))
