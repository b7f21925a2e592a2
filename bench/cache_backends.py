"""Status cache backends: round trips (exact) and latency medians (this machine) for a hit and a batch.

Starts a throwaway redis-server on 127.0.0.1; DynamoDB runs in moto, so only its call counts mean
anything (moto is 5-15x slower than DynamoDB). Goals: a hit is one round trip; a cold batch of 1,000
takes at most 4 Redis round trips; a warm batch is one.
Run: `PYTHONPATH=src:. python -m bench.cache_backends` from the repository root.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

from bench.sizes import scaled

BATCH = scaled(1_000, 20)
ROUNDS = scaled(200, 2)
MOTO_ROUNDS = scaled(20, 2)
MIN_BATCH_ROUNDS = scaled(5, 1)


def _median_ms(call: Callable[[], object], rounds: int = ROUNDS) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _loader_many(keys: list[str]) -> dict[str, dict]:
    return {key: {"systemId": key, "status": "healthy"} for key in keys}


class _Quiet:
    def warning(self, *_: object, **__: object) -> None: ...

    def add_metric(self, **_: object) -> None: ...


def _measure(name: str, backend, counter: Callable[[], int]) -> dict[str, float]:
    from shared.cache import CachedScope

    scope = CachedScope(backend, "status", logger=_Quiet(), metrics=_Quiet())
    keys = [f"system-{n}" for n in range(BATCH)]
    before = counter()
    scope.wrap_many(keys, _loader_many)
    cold = counter() - before
    before = counter()
    scope.wrap_many(keys, _loader_many)
    warm = counter() - before
    scope.wrap("one", lambda: {"systemId": "one"})
    before = counter()
    scope.wrap("one", lambda: None)
    hit = counter() - before
    rounds = MOTO_ROUNDS if name == "dynamodb (moto)" else ROUNDS
    return {
        "hit trips": hit,
        "cold batch trips": cold,
        "warm batch trips": warm,
        "hit ms": _median_ms(lambda: scope.wrap("one", lambda: None), rounds),
        "warm batch ms": _median_ms(
            lambda: scope.wrap_many(keys, _loader_many), max(rounds // 10, MIN_BATCH_ROUNDS)
        ),
    }


def _results() -> dict[str, dict[str, float]]:
    from shared.cache import MemoryBackend
    from shared.cache.redis_backend import RedisBackend, reset_clients
    from tests.redis_server import start_redis

    results = {}
    server = start_redis()
    try:
        redis_backend = RedisBackend(server.url)
        results["redis"] = _measure("redis", redis_backend, lambda: redis_backend.round_trips)
    finally:
        reset_clients()
        server.stop()

    memory = MemoryBackend()
    results["memory"] = _measure("memory", memory, lambda: 0)

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(variable, "testing")
    import boto3
    from moto import mock_aws

    from local.dynamodb_fidelity import install_item_level_transactions
    from shared.cache.dynamodb_backend import DynamoDBBackend
    from tests.integration.cache.cache_harness import CACHE_TABLE, create_cache_table

    # moto as shipped copies the whole table on every TransactWriteItems; a cold batch of 1,000 is ten
    # transactions of 100 fills, which made this module outlive bench's timeout. Calls are what count here.
    install_item_level_transactions()

    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_cache_table(client)
        dynamodb = DynamoDBBackend(client, CACHE_TABLE)
        results["dynamodb (moto)"] = _measure("dynamodb (moto)", dynamodb, lambda: dynamodb.calls)
    return results


def rows() -> list[dict]:
    """Round trips per operation for each backend (counted, not timed)."""
    results = _results()
    goals = {("redis", "hit trips"): 1, ("redis", "warm batch trips"): 1, ("redis", "cold batch trips"): 4}
    found = []
    for backend in ("redis", "dynamodb (moto)"):
        for label in ("hit trips", "warm batch trips", "cold batch trips"):
            measured = float(results[backend][label])
            goal = goals.get((backend, label))
            found.append(
                {
                    "metric": f"cache backend {backend}: {label}",
                    "measured": measured,
                    "baseline": 1.0,
                    "ratio": measured,
                    "goal": f"<= {goal}" if goal is not None else "-",
                    "met": measured <= goal if goal is not None else True,
                    "note": "round trips (redis) or calls (dynamodb) per operation",
                }
            )
    return found


def main() -> None:
    results = _results()
    for name, figures in results.items():
        print(name)
        for label, figure in figures.items():
            print(f"  {label:>18}: {figure:.3f}" if "ms" in label else f"  {label:>18}: {figure}")
    redis_figures = results["redis"]
    ok = (
        redis_figures["hit trips"] == 1
        and redis_figures["cold batch trips"] <= 4
        and redis_figures["warm batch trips"] == 1
    )
    print("goals met" if ok else "GOALS MISSED")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
