"""Status cache through the real handler: POST /health/batch of 1,000 systems, warm and cold.

The in-process stack (moto, tables from template.yaml, the real ApiReadsFunction handler, HTTP API v2
events) with CACHE_BACKEND=redis on a throwaway redis-server. 1,000 systems are created through the
catalog service. Time ratios are same-process medians of interleaved rounds; call counts are exact.
Run: `PYTHONPATH=src:. python -m bench.status_cache` from the repository root.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable

from bench import DynamoCalls, describe, in_process_stack, reconfigure, use_fake_aws
from bench.sizes import scaled
from bench.table import REPORT_ONLY, row

SYSTEMS = scaled(1_000, 10)
WARM_ROUNDS = scaled(15, 2)
NONE_ROUNDS = scaled(3, 1)
COLD_ROUNDS = scaled(3, 1)
GOAL_WARM_RATIO = 3.0
GOAL_DYNAMO_CALLS = 10
GOAL_ROUND_TRIPS = 4
ADMIN_KEY = "test-admin-key"


def _ms(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def _batch_event(stack, system_ids: list[str]) -> dict:
    from local.http_gateway import http_api_event

    route, parameters = stack.routes.match("POST", "/health/batch")
    return http_api_event(
        route=route,
        path_parameters=parameters,
        method="POST",
        raw_path="/health/batch",
        raw_query_string="",
        headers=[("content-type", "application/json"), ("authorization", f"Bearer {ADMIN_KEY}")],
        body=json.dumps({"systemIds": system_ids}).encode(),
        source_ip="127.0.0.1",
    )


def _create_systems(system_ids: list[str]) -> None:
    from shared.domain.models import SystemCreate
    from shared.services.catalog import create_system
    from shared.services.context import default_collaborators

    collaborators = default_collaborators()
    for system_id in system_ids:
        create_system(collaborators, SystemCreate(id=system_id, name=system_id.title()))


def rows() -> list[dict]:
    use_fake_aws()  # before anything builds the Powertools logger and metrics
    import redis

    from shared.services.context import default_collaborators
    from tests.redis_server import start_redis

    server = start_redis()
    try:
        with in_process_stack(CACHE_BACKEND="redis", REDIS_URL=server.url) as (stack, calls):
            return _measure(
                stack,
                calls,
                server.url,
                redis.Redis.from_url(server.url, decode_responses=True),
                default_collaborators,
            )
    finally:
        from shared.cache.redis_backend import reset_clients

        reset_clients()
        server.stop()


def _measure(stack, calls: DynamoCalls, redis_url: str, raw, collaborators: Callable) -> list[dict]:
    system_ids = [f"bench-system-{n:04d}" for n in range(SYSTEMS)]
    _create_systems(system_ids)
    event = _batch_event(stack, system_ids)
    handler = stack.template.function("ApiReadsFunction")

    def batch() -> dict:
        from local.lambda_runtime import invoke_function

        return invoke_function(handler, event)

    def check(answer: dict) -> None:
        assert answer["statusCode"] == 200, answer
        body = json.loads(answer["body"])
        assert len(body["statuses"]) == SYSTEMS and not body["notFound"], "batch answer incomplete"

    # cold: every value stale (family bumped), as after a configuration change
    cold_trips, cold_calls, cold_ms = [], [], []
    for _ in range(COLD_ROUNDS):
        backend = collaborators().cache.backend
        assert collaborators().cache.invalidate_family(), "family bump not acknowledged"
        trips, before = backend.round_trips, calls.snapshot()
        started = time.perf_counter()
        answer = batch()
        cold_ms.append((time.perf_counter() - started) * 1000)
        check(answer)
        cold_trips.append(backend.round_trips - trips)
        cold_calls.append(calls.since(before))

    # warm: through the handler vs a raw MGET + json.loads of the very values it serves
    check(batch())
    backend = collaborators().cache.backend
    value_keys = [backend.value_key("status", system_id) for system_id in system_ids]

    def raw_read() -> list:
        values = raw.mget(value_keys)
        return [json.loads(value.split(":", 2)[2]) for value in values]

    assert len(raw_read()) == SYSTEMS
    warm_ms, raw_ms = [], []
    before = calls.snapshot()
    warm_trips_before = collaborators().cache.backend.round_trips
    for round_number in range(WARM_ROUNDS):
        pair = [(warm_ms, batch), (raw_ms, raw_read)]
        for samples, call in pair if round_number % 2 else reversed(pair):
            samples.append(_ms(call))
    warm_calls = calls.since(before)
    warm_trips = (collaborators().cache.backend.round_trips - warm_trips_before) / WARM_ROUNDS

    # the same batch with the cache switched off, on the same store
    reconfigure(stack, calls, CACHE_BACKEND="none")
    check(batch())
    before = calls.snapshot()
    none_ms = [_ms(batch) for _ in range(NONE_ROUNDS)]
    none_calls = calls.since(before)
    none_per_batch = sum(none_calls.values()) / NONE_ROUNDS

    warm, raw_median, none = (statistics.median(s) for s in (warm_ms, raw_ms, none_ms))
    cold_trips_max = max(cold_trips)
    cold_calls_max = max(sum(c.values()) for c in cold_calls)
    warm_per_batch = sum(warm_calls.values()) / WARM_ROUNDS
    return [
        row(
            f"warm batch {SYSTEMS} via handler vs raw MGET+json.loads (ms)",
            round(warm, 2),
            round(raw_median, 2),
            f"<= {GOAL_WARM_RATIO}x",
            warm / raw_median <= GOAL_WARM_RATIO,
            f"ApiReadsFunction handler, POST /health/batch of {SYSTEMS} systems, redis cache warm"
            f" ({warm_trips:g} round trip(s)/batch) vs one MGET of the same {SYSTEMS} value keys plus"
            f" json.loads of each; medians of {WARM_ROUNDS} interleaved rounds",
            ratio=round(warm / raw_median, 2),
        ),
        row(
            f"warm batch {SYSTEMS}, redis cache vs CACHE_BACKEND=none (ms)",
            round(warm, 2),
            round(none, 1),
            REPORT_ONLY,
            True,
            f"same handler and store; none = {none_per_batch:g} DynamoDB calls/batch on moto (5-15x slower"
            f" than DynamoDB, so this overstates the real gap); medians of {WARM_ROUNDS} and {NONE_ROUNDS}"
            " rounds",
            ratio=round(warm / none, 4),
        ),
        row(
            "warm batch DynamoDB calls, redis vs none (calls/batch)",
            warm_per_batch,
            none_per_batch,
            f"0 vs <= {GOAL_DYNAMO_CALLS}",
            warm_per_batch == 0 and none_per_batch <= GOAL_DYNAMO_CALLS,
            f"redis warm: {describe(warm_calls)}; none: {describe(none_calls)} over {NONE_ROUNDS} batches",
            ratio=round(warm_per_batch / none_per_batch, 3) if none_per_batch else 0.0,
        ),
        row(
            f"cold batch {SYSTEMS} redis round trips (per batch)",
            cold_trips_max,
            1,
            f"<= {GOAL_ROUND_TRIPS}",
            cold_trips_max <= GOAL_ROUND_TRIPS,
            f"RedisBackend.round_trips after a family bump, max of {COLD_ROUNDS} cold batches: {cold_trips}",
        ),
        row(
            f"cold batch {SYSTEMS} DynamoDB calls (per batch)",
            cold_calls_max,
            1,
            f"<= {GOAL_DYNAMO_CALLS}",
            cold_calls_max <= GOAL_DYNAMO_CALLS,
            f"max of {COLD_ROUNDS} cold batches: {describe(cold_calls[0])} in the first; cold batch took"
            f" {statistics.median(cold_ms):.0f} ms median on moto (report only)",
        ),
    ]


if __name__ == "__main__":
    from bench.table import render

    print(render(rows()))
