"""Satellite routes as a soak's agent calls them: small results posts (3 results of one system, all
healthy: the steady state), heartbeats and assignment pulls through SatelliteIngestFunction.

Counts the DynamoDB calls per request by operation and the handler's own time per request with moto's
share taken out (the time spent inside moto's botocore stub is subtracted), which is the client-side
CPU a sandbox spends per request: botocore, the repository, the services, Powertools.
Run: `PYTHONPATH=src:. python -m bench.satellite_requests` from the repository root.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from bench import describe, in_process_stack, use_fake_aws
from bench.sizes import scaled
from bench.table import REPORT_ONLY, row

REQUESTS = scaled(150, 20)
SYSTEMS, CHECKS = 5, 10
STEADY_CALLS = 6  # auth, rate slot, one BatchGetItem, the outbox, the transaction, lastSeenAt


class _MotoTime:
    """Accumulates the time spent inside moto's botocore stub (the emulated DynamoDB's own work)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self) -> _MotoTime:
        import moto.core.botocore_stubber as stubber

        self._stubber, self._real = stubber.BotocoreStubber, stubber.BotocoreStubber.__call__
        real, meter = self._real, self

        def timed(stub, *arguments, **keywords):
            started = time.perf_counter()
            try:
                return real(stub, *arguments, **keywords)
            finally:
                meter.seconds += time.perf_counter() - started

        self._stubber.__call__ = timed
        return self

    def __exit__(self, *_: object) -> None:
        self._stubber.__call__ = self._real


def _fleet(stack):
    from tests.integration.api.stack import add_configuration, add_system, assign
    from tests.integration.satellite_api.fleet import (
        FakeClock,
        add_satellite,
        hold_clock,
        post_results,
        result,
    )

    satellite = add_satellite(stack, "bench-sat")
    pairs = [(f"sys-{s}", f"sys-{s}-c{c}") for s in range(SYSTEMS) for c in range(CHECKS)]
    for system in dict.fromkeys(s for s, _ in pairs):
        add_system(stack, system)
    for system, check in pairs:
        add_configuration(stack, check)
        assign(stack, system, check, {"satelliteIds": [satellite.id], "includeLocal": False})
    clock = hold_clock(FakeClock(datetime.now(UTC).replace(microsecond=0)))
    warm = [result(s, c, clock.now - timedelta(seconds=30)) for s, c in pairs]
    assert post_results(stack, satellite, warm).status == 200
    return satellite, clock


def rows() -> list[dict]:
    use_fake_aws()
    with in_process_stack(CACHE_BACKEND="memory", HC_RUN_EVENTS="false") as (stack, calls):
        from tests.integration.satellite_api.fleet import post_results, result

        satellite, clock = _fleet(stack)
        for method, path in (("POST", "/satellite/heartbeat"), ("GET", "/satellite/assignments")):
            stack.call(method, path, {} if method == "POST" else None, key=satellite.token)  # warm
        measured = {}
        for name, method, path in (
            ("heartbeat", "POST", "/satellite/heartbeat"),
            ("assignments", "GET", "/satellite/assignments"),
        ):
            before = calls.snapshot()
            answer = stack.call(method, path, {} if method == "POST" else None, key=satellite.token)
            assert answer.status in (200, 204), answer.body
            measured[name] = calls.since(before)
        before = calls.snapshot()
        with _MotoTime() as moto:
            started = time.perf_counter()
            for n in range(REQUESTS):
                clock.advance(seconds=1)  # 60 requests a minute stay under the satellite's rate limit
                system = f"sys-{n % SYSTEMS}"
                batch = [
                    result(
                        system, f"{system}-c{(3 * n + k) % CHECKS}", clock.now - timedelta(seconds=k / 100)
                    )
                    for k in range(3)
                ]
                answer = post_results(stack, satellite, batch)
                assert answer.status == 200 and len(answer.body["accepted"]) == 3, answer.body
            elapsed = time.perf_counter() - started
        posts = calls.since(before)
    per_post = sum(posts.values()) / REQUESTS
    client_ms = (elapsed - moto.seconds) / REQUESTS * 1000
    return [
        row(
            "satellite results POST DynamoDB calls per request (steady, 3 results)",
            per_post,
            STEADY_CALLS,
            f"<= {STEADY_CALLS}",
            per_post <= STEADY_CALLS,
            f"{REQUESTS} posts of 3 healthy results of one system ({SYSTEMS} systems of {CHECKS} checks,"
            f" one satellite, run events off): {describe(posts)}",
        ),
        row(
            "satellite results POST handler time per request, moto excluded (ms)",
            round(client_ms, 1),
            round(moto.seconds / REQUESTS * 1000, 1),
            REPORT_ONLY,
            True,
            "baseline: moto's own time per request (the emulated DynamoDB), same requests",
        ),
        row(
            "satellite heartbeat / assignments DynamoDB calls per request",
            sum(measured["heartbeat"].values()),
            sum(measured["assignments"].values()),
            REPORT_ONLY,
            True,
            f"heartbeat: {describe(measured['heartbeat'])}; assignments (baseline column):"
            f" {describe(measured['assignments'])}",
        ),
    ]


if __name__ == "__main__":
    from bench.table import render

    print(render(rows()))
