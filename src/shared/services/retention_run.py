"""One invocation of the retention function: the day's retention pass, then the settled day's
availability summaries, then, if time ran out before both were done, one message to the continuation
queue so the next invocation starts at once from the checkpoints (not an hour later).

An invocation whose checkpoint another one moved stops without asking for more: the other goes on.
A duplicate continuation message (SQS delivers at least once) starts an invocation that either finds
the work done or loses the checkpoint race at its first save, so the chain never forks for long.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from shared.observability import logger
from shared.services.availability_days import DaysReport, summarise_settled_day
from shared.services.context import Collaborators
from shared.services.ports import RetentionStore, SweepCheckpointStore
from shared.services.retention import ParallelMap, RetentionReport, apply_retention


class Continuation(Protocol):
    """Starts another retention invocation now (the retention continuation queue)."""

    def request(self, reason: str) -> None: ...


@dataclass(frozen=True)
class RetentionInvocation:
    retention: RetentionReport
    summaries: DaysReport
    continued: bool


def run_retention(
    c: Collaborators,
    store: RetentionStore,
    checkpoints: SweepCheckpointStore,
    continuation: Continuation | None,
    *,
    time_left: Callable[[], float],
    parallel_map: ParallelMap,
) -> RetentionInvocation:
    """The pass and the summaries as far as time allows; a continuation requested if unfinished."""
    report = apply_retention(c, store, checkpoints, time_left=time_left, parallel_map=parallel_map)
    if report.finished:
        days = summarise_settled_day(c, checkpoints, time_left=time_left, parallel_map=parallel_map)
    else:
        days = DaysReport(finished=False, taken_over=report.taken_over)
    unfinished = not (report.finished and days.finished)
    if not unfinished or report.taken_over or days.taken_over or continuation is None:
        return RetentionInvocation(report, days, False)
    try:
        continuation.request("retention" if not report.finished else "availability-days")
    except Exception as error:  # the hourly schedule goes on from the checkpoint
        logger.warning("retention continuation not sent", error=type(error).__name__)
        return RetentionInvocation(report, days, False)
    return RetentionInvocation(report, days, True)
