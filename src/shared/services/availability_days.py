"""Each UTC day's availability summaries, stored once the day settled, so no reader computes them.

The retention function runs this every hour after its pass: for the newest settled day (ended more
than `availability.SETTLE` ago), every system gets the summary a reader would store
(`availability.range_stats` over that day: its check transitions once, then one item). A system whose
summary is already valid costs one snapshot query and one BatchGetItem. Paged over the systems with a
versioned checkpoint, so an invocation short of time stops and the next one goes on. A cold read of D
days then finds every whole day summarised except at most the last one (while it settles): see
services/availability.py for the reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from shared.domain import aggregates
from shared.domain.records import CheckpointMovedError
from shared.domain.wire import format_timestamp
from shared.services.availability import DAY, SETTLE, range_stats
from shared.services.context import Collaborators
from shared.services.ports import SweepCheckpointStore
from shared.services.retention import SAFETY_SECONDS, ParallelMap

SWEEP = "availability-days"
SYSTEMS_PER_PAGE = 100


@dataclass
class DaysReport:
    finished: bool = True
    day: str = ""
    systems: int = 0
    taken_over: bool = False


def settled_day(c: Collaborators) -> str:
    """The newest UTC day that ended more than SETTLE ago."""
    return format_timestamp(aggregates.day_start(c.clock() - SETTLE) - DAY)[:10]


def summarise_settled_day(
    c: Collaborators,
    checkpoints: SweepCheckpointStore,
    *,
    time_left: Callable[[], float] = lambda: float("inf"),
    parallel_map: ParallelMap = lambda f, items: [f(i) for i in items],
) -> DaysReport:
    """Store the newest settled day's summary of every system (continuing a checkpoint of that day)."""
    day = settled_day(c)
    report = DaysReport(day=day)
    checkpoint = checkpoints.load(SWEEP) or {}
    if checkpoint.get("day") == day and checkpoint.get("done"):
        return report
    cursor = checkpoint.get("cursor") if checkpoint.get("day") == day else None
    version = checkpoint.get("version")
    start = aggregates.day_start(c.clock() - SETTLE) - DAY
    try:
        while True:
            if time_left() < SAFETY_SECONDS:
                report.finished = False
                return report
            page = c.repository.list_systems(limit=SYSTEMS_PER_PAGE, cursor=cursor)
            parallel_map(lambda system: _summarise(c, system.id, start), page.items)
            report.systems += len(page.items)
            cursor = page.next_cursor
            state = {"day": day, "cursor": cursor, "done": not cursor}
            version = checkpoints.save(SWEEP, state, expected_version=version)
            if not cursor:
                return report
    except CheckpointMovedError:
        report.finished, report.taken_over = False, True
        return report


def _summarise(c: Collaborators, system_id: str, start: datetime) -> None:
    snapshot = c.repository.system_snapshot(system_id)
    if snapshot.system is not None:
        range_stats(c, snapshot, start, start + DAY)
