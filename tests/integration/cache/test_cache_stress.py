"""Many processes reading and mutating at once: no read that starts after an acknowledged invalidation
returns a version older than that mutation's (invariant 2, across processes)."""

import bisect
import multiprocessing
import queue

import redis

from tests.integration.cache.stress_workers import reader, writer

SYSTEMS = ["s1", "s2", "s3", "s4"]
WRITERS, WRITES = 2, 800
READERS, READS = 4, 3_000


def stale_reads(acknowledged, reads) -> list[tuple]:
    """Reads that began after an acknowledged invalidation yet returned an older version."""
    by_system: dict[str, tuple[list[float], list[int]]] = {}
    for system in SYSTEMS:
        acks = sorted((at, version) for s, version, at in acknowledged if s == system)
        times, floor, highest = [], [], 0
        for at, version in acks:
            highest = max(highest, version)
            times.append(at)
            floor.append(highest)
        by_system[system] = (times, floor)
    violations = []
    for system, began, version in reads:
        times, floor = by_system[system]
        index = bisect.bisect_left(times, began) - 1
        if index >= 0 and version < floor[index]:
            violations.append((system, began, version, floor[index]))
    return violations


def test_no_stale_read_after_acknowledged_invalidation_across_processes(redis_url):
    # given
    redis.Redis.from_url(redis_url).flushall()
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(WRITERS + READERS)
    results = context.Queue()
    processes = [
        context.Process(target=writer, args=(redis_url, SYSTEMS, WRITES, seed, start, results))
        for seed in range(WRITERS)
    ] + [
        context.Process(target=reader, args=(redis_url, SYSTEMS, READS, 100 + seed, start, results))
        for seed in range(READERS)
    ]
    # when
    for process in processes:
        process.start()
    try:
        outcomes = [results.get(timeout=60) for _ in processes]
    except queue.Empty:
        outcomes = []
    for process in processes:
        process.join(10)
        if process.is_alive():
            process.kill()
    # then
    assert len(outcomes) == len(processes), "a stress process did not finish"
    acknowledged = [ack for kind, acks, _ in outcomes if kind == "writer" for ack in acks]
    reads = [read for kind, rs, _ in outcomes if kind == "reader" for read in rs]
    loads = sum(count for kind, _, count in outcomes if kind == "reader")
    assert len(acknowledged) >= WRITERS * WRITES * 0.9
    assert loads < len(reads), "the cache was never hit: the test proved nothing"
    assert stale_reads(acknowledged, reads) == []
