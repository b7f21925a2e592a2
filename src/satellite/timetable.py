"""Which assigned checks are due: each on its own interval, at a stable phase (see `schedule`)."""

from __future__ import annotations

from collections.abc import Iterable

from satellite import logs
from satellite.assignments import Assignment
from satellite.schedule import next_due, stable_phase


class Timetable:
    """The next run time of every assigned check of one satellite."""

    def __init__(self, satellite_id: str) -> None:
        self._satellite_id = satellite_id
        self._next_run_at: dict[str, float] = {}

    def next_wake(self, default: float) -> float:
        """When the earliest check is due (`default` when none is assigned)."""
        return min(self._next_run_at.values(), default=default)

    def take_due(
        self, assignments: Iterable[Assignment], now: float, in_flight: set[str]
    ) -> list[Assignment]:
        """The checks due at `now`, each moved on to its next slot; one still running is skipped."""
        due = []
        for assignment in assignments:
            if self._next_run_at[assignment.key] > now:
                continue
            self._next_run_at[assignment.key] = next_due(
                now, assignment.interval_seconds, self._phase(assignment)
            )
            if assignment.key in in_flight:
                logs.warning("check skipped", check=assignment.key, reason="the previous run is still going")
            else:
                due.append(assignment)
        return due

    def reschedule(self, assignments: Iterable[Assignment], now: float) -> None:
        """Plan new assignments; an unchanged check keeps its rhythm."""
        previous = self._next_run_at
        self._next_run_at = {}
        for assignment in assignments:
            kept = previous.get(assignment.key)
            # A shortened interval must not wait out the old one.
            if kept is not None and kept - now <= assignment.interval_seconds:
                self._next_run_at[assignment.key] = kept
            else:
                self._next_run_at[assignment.key] = next_due(
                    now, assignment.interval_seconds, self._phase(assignment)
                )

    def _phase(self, assignment: Assignment) -> float:
        return stable_phase(f"{self._satellite_id}/{assignment.key}", assignment.interval_seconds)
