"""What a scheduler tick did, summed over shards, and the parallel map its workers are given."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")
ParallelMap = Callable[[Callable[[T], R], list[T]], list[R]]


@dataclass
class TickReport:
    due: int = 0  # run requests planned (scheduled slots and heartbeat deadline checks)
    enqueued: int = 0
    skipped: int = 0  # refused by SQS, or found not to be run
    deferred: int = 0  # planned but left for the next tick: the time budget ran out

    def add(self, other: TickReport) -> TickReport:
        """The sum of two reports (of two shards)."""
        return TickReport(
            self.due + other.due,
            self.enqueued + other.enqueued,
            self.skipped + other.skipped,
            self.deferred + other.deferred,
        )
