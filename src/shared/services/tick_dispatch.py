"""The scheduler's fan-out: a tick hands each occupied shard to a worker through a queue, and a
worker runs the shards it is handed (shared.services.scheduling does one shard)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from shared.observability import logger
from shared.queue import ShardQueue, ShardRequest
from shared.services.context import Collaborators
from shared.services.scheduling import TICK_SECONDS, WORKERS, enqueue_shard, occupied_shards
from shared.services.tick_report import ParallelMap, TickReport


def dispatch_tick(c: Collaborators, shard_queue: ShardQueue, *, parallel: ParallelMap | None = None) -> int:
    """Send one shard request per shard holding a scheduled check, for the tick starting now; returns
    how many were sent (none when nothing is scheduled)."""
    tick_start = int(c.clock().timestamp())
    if parallel is None:
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            shards = occupied_shards(c, lambda function, items: list(pool.map(function, items)))
    else:
        shards = occupied_shards(c, parallel)
    refused = shard_queue.send([ShardRequest(shard, tick_start) for shard in shards])
    for request in refused:
        # Its checkpoint stays: the next tick plans the shard from there.
        logger.warning("shard request not sent", shard=request.shard)
    return len(shards) - len(refused)


def run_shard_requests(
    c: Collaborators,
    bodies: list[str],
    *,
    time_left: Callable[[], float],
    parallel: ParallelMap | None = None,
) -> TickReport:
    """Run each shard request in turn; one older than a tick is dropped (a newer tick covers it)."""
    total = TickReport()
    now = int(c.clock().timestamp())
    for body in bodies:
        request = ShardRequest.parse(body)
        if now - request.tick_start >= TICK_SECONDS:
            logger.info("stale shard request dropped", shard=request.shard, tick_start=request.tick_start)
            continue
        report = enqueue_shard(
            c, request.shard, tick_start=request.tick_start, time_left=time_left, parallel=parallel
        )
        total = total.add(report)
    return total
