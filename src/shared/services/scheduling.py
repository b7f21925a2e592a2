"""Turning the scheduler's shards into SQS run requests, and asking for one run now.

A shard worker plans the window from its shard's checkpoint to the end of the tick: every slot of
every check scheduled in the shard (the ByShard index), computed from the check's interval and
when its schedule began. It sends those runs first and moves the checkpoint on after, only if it
is still the one it read. Each run is named after its slot, so a tick killed before the checkpoint
moved resends the same run ids at the next tick and each run is recorded once: nothing is ever
claimed without being sent, and a run writes nothing to the table to be scheduled. Heartbeat
deadlines have their own index (services/deadline_checks.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from shared.domain.errors import ConflictError
from shared.domain.heartbeat import HEARTBEAT_STRATEGY_ID
from shared.domain.models import format_timestamp
from shared.domain.schedule import scheduled_run_id, slots_in_window
from shared.observability import logger
from shared.queue import SEND_BATCH_LIMIT, CheckRequest
from shared.services.context import Collaborators
from shared.services.deadline_checks import enqueue_deadlines
from shared.services.tick_report import ParallelMap, TickReport

TICK_SECONDS = 60
WORKERS = 16
# Enough for one more round of sends: a worker with less time left stops without moving its
# checkpoint, and the next tick plans the same window again (resending what was sent, by run id).
SAFETY_SECONDS = 5.0


def request_run(c: Collaborators, system_id: str, configuration_id: str) -> str:
    """Enqueue one immediate local run of an assigned check; returns when it was requested."""
    assignment = c.repository.get_assignment(system_id, configuration_id)
    if not assignment.include_local:
        raise ConflictError("this check runs on satellites only (includeLocal is false)")
    requested_at = format_timestamp(c.clock())
    c.queue.send_one(CheckRequest(system_id, configuration_id, requested_at, "manual"))
    return requested_at


def _pool_map(pool: ThreadPoolExecutor) -> ParallelMap:
    """A parallel map on threads: the calls it runs wait on the network, not the CPU."""
    return lambda function, items: (
        list(pool.map(function, items)) if len(items) > 1 else [function(i) for i in items]
    )


def occupied_shards(c: Collaborators, parallel: ParallelMap) -> list[str]:
    """The shards holding at least one scheduled check (one small index read each): a tick skips
    the empty ones."""
    shards = c.repository.due_shards(c.settings.due_shards)
    occupied = parallel(c.repository.shard_has_checks, shards)
    return [shard for shard, has_checks in zip(shards, occupied, strict=True) if has_checks]


def enqueue_shard(
    c: Collaborators,
    shard: str,
    *,
    tick_start: int,
    time_left: Callable[[], float],
    parallel: ParallelMap | None = None,
) -> TickReport:
    """Send the runs of one shard's window (its checkpoint to the end of the tick), then move the
    checkpoint to the end of the tick; out of time or refused by SQS, the checkpoint stays."""
    if parallel is None:
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            return enqueue_shard(
                c, shard, tick_start=tick_start, time_left=time_left, parallel=_pool_map(pool)
            )
    tick_end = tick_start + TICK_SECONDS
    report = enqueue_deadlines(c, shard, tick_end=tick_end, parallel=parallel)
    seen = c.repository.schedule_checkpoint(shard)
    window = (tick_start if seen is None else seen, tick_end)
    if window[0] >= window[1]:
        return report  # another tick of this minute planned it already
    requests = _planned(c, shard, window, tick_start)
    sent = _send(c, requests, time_left, parallel)
    report = report.add(sent)
    if sent.deferred or sent.skipped:
        logger.warning(
            "scheduler shard left behind", shard=shard, deferred=sent.deferred, refused=sent.skipped
        )
        return report
    if not c.repository.advance_checkpoint(shard, seen=seen, planned_through=tick_end):
        logger.info("scheduler checkpoint moved meanwhile", shard=shard)
    return report


def enqueue_due(
    c: Collaborators,
    *,
    time_left: Callable[[], float] = lambda: float("inf"),
    shards: Iterable[str] | None = None,
    parallel: ParallelMap | None = None,
) -> TickReport:
    """A whole tick in one process: every occupied shard, one worker thread each (tests, the local
    runtime)."""
    tick_start = int(c.clock().timestamp())

    def one(shard: str) -> TickReport:
        return enqueue_shard(c, shard, tick_start=tick_start, time_left=time_left, parallel=parallel)

    if parallel is not None:
        reports = parallel(one, list(shards) if shards is not None else occupied_shards(c, parallel))
    else:
        with ThreadPoolExecutor(max_workers=WORKERS) as census:
            shard_list = list(shards) if shards is not None else occupied_shards(c, _pool_map(census))
        with ThreadPoolExecutor(max_workers=max(1, len(shard_list))) as pool:
            reports = list(pool.map(one, shard_list))
    total = TickReport()
    for report in reports:
        total = total.add(report)
    return total


def _planned(c: Collaborators, shard: str, window: tuple[int, int], tick_start: int) -> list[CheckRequest]:
    requested_at = format_timestamp(c.clock())
    requests = []
    for check in c.repository.scheduled_checks(shard):
        if check["strategyId"] == HEARTBEAT_STRATEGY_ID:
            continue  # a heartbeat has deadlines, not slots
        pair = (check["systemId"], check["configurationId"])
        slots = slots_in_window(*pair, check["intervalSeconds"], check["scheduledSince"], window, tick_start)
        requests += [
            CheckRequest(*pair, requested_at, "schedule", run_id=scheduled_run_id(*pair, slot), slot=slot)
            for slot in slots
        ]
    return requests


def _send(
    c: Collaborators, requests: list[CheckRequest], time_left: Callable[[], float], parallel: ParallelMap
) -> TickReport:
    """Send in rounds of WORKERS batches in parallel, looking at the clock between rounds."""
    batches = [requests[i : i + SEND_BATCH_LIMIT] for i in range(0, len(requests), SEND_BATCH_LIMIT)]
    report = TickReport(due=len(requests))
    for start in range(0, len(batches), WORKERS):
        if time_left() < SAFETY_SECONDS:
            report.deferred = sum(len(batch) for batch in batches[start:])
            break
        now = int(c.clock().timestamp())
        # The delay is counted from the send, not from the tick: a late worker does not make runs late.
        timed = [
            [replace(r, delay_seconds=max(0, r.slot - now)) for r in b]
            for b in batches[start : start + WORKERS]
        ]
        refused = [r for answer in parallel(c.queue.send, timed) for r in answer]
        for request in refused:
            logger.warning(
                "run request not sent", system_id=request.system_id, configuration_id=request.configuration_id
            )
        report.skipped += len(refused)
        report.enqueued += sum(len(batch) for batch in timed) - len(refused)
    return report
