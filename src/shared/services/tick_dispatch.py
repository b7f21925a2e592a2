"""The scheduler's fan-out: a tick hands each shard of the due index to a worker through a queue,
and a worker runs the shards it is handed (shared.services.scheduling does one shard)."""

from __future__ import annotations

from collections.abc import Callable

from shared.observability import logger
from shared.queue import ShardQueue, ShardRequest
from shared.services.context import Collaborators
from shared.services.scheduling import TICK_SECONDS, ParallelMap, TickReport, enqueue_shard


def dispatch_tick(c: Collaborators, shard_queue: ShardQueue) -> int:
    """Send one shard request per shard for the tick starting now; returns how many were sent."""
    tick_start = int(c.clock().timestamp())
    shards = c.repository.due_shards(c.settings.due_shards)
    refused = shard_queue.send([ShardRequest(shard, tick_start) for shard in shards])
    for request in refused:
        # Its checks stay due: the next tick hands the shard out again.
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
