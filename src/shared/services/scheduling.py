"""Turning due assignments into SQS run requests, one shard of the due index at a time, and
asking for one run now.

Send first, advance after: a run request is sent before its assignment's next due time moves
on, and named after its due slot, so a tick killed between the two resends the same run ids
at the next tick and the run is recorded once. Nothing is ever claimed without being sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from shared.domain.errors import ConflictError
from shared.domain.heartbeat import DEADLINE_RECHECK_SECONDS, HEARTBEAT_STRATEGY_ID, deadline_run_id
from shared.domain.models import format_timestamp
from shared.domain.schedule import plan_runs
from shared.observability import logger
from shared.queue import SEND_BATCH_LIMIT, CheckRequest
from shared.services.context import Collaborators

TICK_SECONDS = 60
CHUNK = 100  # one BatchGetItem of assignments, then their sends and advances in parallel
WORKERS = 16
# Enough for one more chunk: a worker with less time left stops, the rest stays due for the next tick.
SAFETY_SECONDS = 5.0

T = TypeVar("T")
R = TypeVar("R")
ParallelMap = Callable[[Callable[[T], R], list[T]], list[R]]


@dataclass
class TickReport:
    due: int = 0
    enqueued: int = 0
    skipped: int = 0
    deferred: int = 0  # due but left for the next tick: the time budget ran out

    def add(self, other: TickReport) -> TickReport:
        """The sum of two reports (of two shards)."""
        return TickReport(
            self.due + other.due,
            self.enqueued + other.enqueued,
            self.skipped + other.skipped,
            self.deferred + other.deferred,
        )


def request_run(c: Collaborators, system_id: str, configuration_id: str) -> str:
    """Enqueue one immediate local run of an assigned check; returns when it was requested."""
    assignment = c.repository.get_assignment(system_id, configuration_id)
    if not assignment["includeLocal"]:
        raise ConflictError("this check runs on satellites only (includeLocal is false)")
    requested_at = format_timestamp(c.clock())
    c.queue.send_one(CheckRequest(system_id, configuration_id, requested_at, "manual"))
    return requested_at


def _pool_map(pool: ThreadPoolExecutor) -> ParallelMap:
    """A parallel map on threads: the calls it runs wait on the network, not the CPU."""
    return lambda function, items: (
        list(pool.map(function, items)) if len(items) > 1 else [function(i) for i in items]
    )


def enqueue_shard(
    c: Collaborators,
    shard: str,
    *,
    tick_start: int,
    time_left: Callable[[], float],
    parallel: ParallelMap | None = None,
) -> TickReport:
    """Send the runs due before the end of the tick in one shard of the ByNextDue index, then move
    each assignment's due time on; stops early, leaving the rest due, when time runs short."""
    if parallel is None:
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            return enqueue_shard(
                c, shard, tick_start=tick_start, time_left=time_left, parallel=_pool_map(pool)
            )
    tick_end = tick_start + TICK_SECONDS
    candidates = c.repository.due_assignment_keys(shard, tick_end)
    report = TickReport(due=len(candidates))
    for start in range(0, len(candidates), CHUNK):
        if time_left() < SAFETY_SECONDS:
            report.deferred = len(candidates) - start
            logger.warning("scheduler shard out of time", shard=shard, deferred=report.deferred)
            break
        chunk = _enqueue_chunk(c, candidates[start : start + CHUNK], tick_start, tick_end, parallel)
        report = report.add(chunk)
    return report


def enqueue_due(
    c: Collaborators,
    *,
    time_left: Callable[[], float] = lambda: float("inf"),
    shards: Iterable[str] | None = None,
    parallel: ParallelMap | None = None,
) -> TickReport:
    """A whole tick in one process: every shard, one worker thread each (tests, the local runtime)."""
    tick_start = int(c.clock().timestamp())
    shard_list = list(shards or c.repository.due_shards(c.settings.due_shards))

    def one(shard: str) -> TickReport:
        return enqueue_shard(c, shard, tick_start=tick_start, time_left=time_left, parallel=parallel)

    if parallel is not None:
        reports = parallel(one, shard_list)
    else:
        with ThreadPoolExecutor(max_workers=len(shard_list)) as pool:
            reports = list(pool.map(one, shard_list))
    total = TickReport()
    for report in reports:
        total = total.add(report)
    return total


@dataclass(frozen=True)
class _Due:
    system_id: str
    configuration_id: str
    seen_due: int
    next_due: int
    requests: list[CheckRequest]


def _enqueue_chunk(
    c: Collaborators, pairs: list[tuple[str, str]], tick_start: int, tick_end: int, parallel: ParallelMap
) -> TickReport:
    report = TickReport()
    due: list[_Due] = []
    clears: list[tuple[str, str, int]] = []
    for assignment in c.repository.get_assignments(pairs):
        seen_due = assignment.get("nextDueAt")
        if seen_due is None or seen_due >= tick_end:
            continue
        pair = (assignment["systemId"], assignment["configurationId"])
        if (
            not assignment["enabled"]
            or not assignment["includeLocal"]
            or assignment.get("configurationPaused")
        ):
            clears.append((*pair, seen_due))
            continue
        if assignment.get("strategyId") == HEARTBEAT_STRATEGY_ID:
            # The due time is the heartbeat's deadline: check it then; look again later only as a
            # safety net (a lost check), since every ping and every missed deadline re-index it.
            check = _deadline_request(c, pair, seen_due)
            due.append(_Due(*pair, seen_due, seen_due + DEADLINE_RECHECK_SECONDS, [check]))
            continue
        runs, next_due = plan_runs(*pair, seen_due, assignment["intervalSeconds"], tick_start, tick_end)
        due.append(_Due(*pair, seen_due, next_due, _requests(c, pair, runs)))
    parallel(lambda clear: c.repository.clear_schedule(clear[0], clear[1], seen_due=clear[2]), clears)
    report.skipped += len(clears)
    requests = [r for d in due for r in d.requests]
    batches = [requests[i : i + SEND_BATCH_LIMIT] for i in range(0, len(requests), SEND_BATCH_LIMIT)]
    refused = {(r.system_id, r.configuration_id) for batch in parallel(c.queue.send, batches) for r in batch}
    for system_id, configuration_id in sorted(refused):
        logger.warning("run request not sent", system_id=system_id, configuration_id=configuration_id)
    sent = [d for d in due if (d.system_id, d.configuration_id) not in refused]
    advanced = parallel(lambda d: _advance(c, d), sent)
    report.enqueued = sum(len(d.requests) for d in sent)
    report.skipped += len(due) - len(sent) + advanced.count(False)
    return report


def _requests(c: Collaborators, pair: tuple[str, str], runs: list) -> list[CheckRequest]:
    now = c.clock()
    requested_at, now_epoch = format_timestamp(now), int(now.timestamp())
    # The delay is counted from the send, not from the tick: a late worker does not make runs late.
    return [
        CheckRequest(
            *pair,
            requested_at,
            "schedule",
            delay_seconds=max(0, run.at - now_epoch),
            run_id=run.run_id,
            slot_at=run.slot,
        )
        for run in runs
    ]


def _deadline_request(c: Collaborators, pair: tuple[str, str], deadline: int) -> CheckRequest:
    now = c.clock()
    return CheckRequest(
        *pair,
        format_timestamp(now),
        "deadline",
        delay_seconds=max(0, deadline - int(now.timestamp())),
        run_id=deadline_run_id(*pair, deadline),
        deadline=deadline,
    )


def _advance(c: Collaborators, due: _Due) -> bool:
    shard = c.repository.due_shard_of(due.system_id, due.configuration_id, c.settings.due_shards)
    return c.repository.advance_schedule(
        due.system_id, due.configuration_id, seen_due=due.seen_due, next_due=due.next_due, due_shard=shard
    )
