"""Processes of the multi-process stress test (spawned, so they live in an importable module)."""

import random
import time

import redis

from shared.cache import CachedScope
from shared.cache.redis_backend import RedisBackend
from tests.unit.cache.cache_fakes import RecordingLogger, RecordingMetrics


def store_key(system: str) -> str:
    return f"store:{system}"


def _scope(url: str) -> CachedScope:
    return CachedScope(RedisBackend(url), "status", logger=RecordingLogger(), metrics=RecordingMetrics())


def writer(url: str, systems: list[str], operations: int, seed: int, start, results) -> None:
    """Bump a system's version in the store, then invalidate; record when the cache acknowledged it."""
    rng = random.Random(seed)
    store = redis.Redis.from_url(url)
    scope = _scope(url)
    acknowledged, failed = [], 0
    start.wait()
    for _ in range(operations):
        system = rng.choice(systems)
        version = store.incr(store_key(system))
        ok = scope.invalidate_family() if rng.random() < 0.2 else scope.invalidate(system)
        if ok:
            acknowledged.append((system, version, time.monotonic()))
        else:
            failed += 1
        time.sleep(rng.random() * 0.002)
    results.put(("writer", acknowledged, failed))


def reader(url: str, systems: list[str], operations: int, seed: int, start, results) -> None:
    """Read through the scope; record (system, read start, version returned)."""
    rng = random.Random(seed)
    store = redis.Redis.from_url(url)
    scope = _scope(url)
    loads = 0

    def load_many(keys):
        nonlocal loads
        loads += 1
        versions = store.mget([store_key(key) for key in keys])
        if rng.random() < 0.3:
            time.sleep(rng.random() * 0.003)
        return {key: {"systemId": key, "version": int(v or 0)} for key, v in zip(keys, versions, strict=True)}

    reads = []
    start.wait()
    for _ in range(operations):
        began = time.monotonic()
        if rng.random() < 0.2:
            answer = scope.wrap_many(systems, load_many)
            reads.extend((key, began, value["version"]) for key, value in answer.items())
        else:
            system = rng.choice(systems)
            value = scope.wrap(system, lambda system=system: load_many([system])[system])
            reads.append((system, began, value["version"]))
    results.put(("reader", reads, loads))
