"""Each check's evaluated status over time, as availability counts it (pure).

Each check's own state item (SLICE#, services/check_state.py) keeps the status its timeline is in
and the time of its newest run (`timeline`); when a change moves it, a check transition is
recorded with that item, keyed by *when the run ran*, not when it was recorded, so a satellite
delivering hours of results at once lands in time:

- at a run at time t, the check's status is the quorum over its sources' slices, leaving out
  sources whose newest run is older than `STALE_INTERVALS` intervals before t (the run's own
  source always counts);
- when no source ran for `STALE_INTERVALS` intervals, the check was unknown from
  `newest run + that span` until the next run; the next run records that gap afterwards, and a
  reader treats a still-open gap the same way;
- a disabled assignment or a paused configuration is unknown (left out of the system) from the
  moment of the change, and stays so once re-enabled until its next run (no data meanwhile); other
  changes without a run (a new quorum, thresholds) take effect at the check's next run;
- a run older than its own slice's newest run changes no slice (check_state) and so no timeline
  (the bound of the error this leaves is in docs/api.md, "Late runs"); a batch older than
  *another* source's runs is evaluated against that source's newest state.
A transition on a UTC day before today's marks that day's stored availability summary stale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared.domain.catalog_items import AssignmentItem
from shared.domain.health import QuorumMode, SliceState, quorum_status
from shared.domain.history_items import CheckTransitionItem
from shared.domain.state_items import TimelineEntry
from shared.domain.wire import HealthStatus, format_timestamp, parse_timestamp

STALE_INTERVALS = 3


@dataclass(frozen=True)
class TimelineChange:
    """One check's timeline entry after a change, its transitions and the past days they touch."""

    timeline: TimelineEntry | None
    transitions: list[CheckTransitionItem] = field(default_factory=list)
    stale_days: list[str] = field(default_factory=list)


def stale_after(assignment: AssignmentItem) -> timedelta:
    """How long a check's last run stands for it before its time counts as unknown."""
    return timedelta(seconds=STALE_INTERVALS * assignment.interval_seconds)


def counted(assignment: AssignmentItem) -> bool:
    return assignment.enabled and not assignment.configuration_paused


def check_status_at(
    slices: Mapping[str, SliceState],
    quorum_mode: QuorumMode,
    at: datetime,
    stale: timedelta,
    source_id: str | None,
) -> HealthStatus:
    """The check's status at a run at `at`: its fresh sources under the quorum."""
    statuses = []
    for slice_source, state in slices.items():
        last = state.last_run_at
        fresh = slice_source == source_id or (last is not None and at - parse_timestamp(last) <= stale)
        if fresh:
            statuses.append(state.status)
    return quorum_status(statuses, quorum_mode)


def after_run(
    entry: TimelineEntry | None,
    assignment: AssignmentItem,
    slices: Mapping[str, SliceState],
    *,
    source_id: str,
    run_at: str,
    now: datetime,
) -> TimelineChange:
    """A check's timeline entry after a run that changed its slices (see the module docstring)."""
    if not counted(assignment):
        return TimelineChange(entry)
    at = parse_timestamp(run_at)
    stale = stale_after(assignment)
    status = check_status_at(slices, assignment.quorum["mode"], at, stale, source_id)
    changes: list[tuple[str, HealthStatus]] = []
    current = entry.status if entry else "unknown"
    last = entry.last_run_at if entry else None
    if last and at - parse_timestamp(last) > stale:
        if current != "unknown":
            changes.append((format_timestamp(parse_timestamp(last) + stale), "unknown"))
        current = "unknown"
    if status != current:
        changes.append((run_at, status))
    newest = max(filter(None, [last, run_at]))
    return _change(TimelineEntry(status=status, last_run_at=newest), entry, assignment, changes, now)


def after_reevaluation(
    entry: TimelineEntry | None, assignment: AssignmentItem, *, now: datetime
) -> TimelineChange:
    """A check's timeline entry after a change without a run: no longer counted, it is unknown from
    `now`."""
    if counted(assignment) or entry is None or entry.status == "unknown":
        return TimelineChange(entry)
    return _change(
        entry.model_copy(update={"status": "unknown"}),
        entry,
        assignment,
        [(format_timestamp(now), "unknown")],
        now,
    )


def _change(
    timeline: TimelineEntry,
    previous: TimelineEntry | None,
    assignment: AssignmentItem,
    changes: list[tuple[str, HealthStatus]],
    now: datetime,
) -> TimelineChange:
    before: HealthStatus = previous.status if previous else "unknown"
    transitions = []
    for at, status in changes:
        transitions.append(
            CheckTransitionItem(
                system_id=assignment.system_id,
                configuration_id=assignment.configuration_id,
                previous_status=before,
                new_status=status,
                at=at,
            )
        )
        before = status
    today = format_timestamp(now)[:10]
    return TimelineChange(
        timeline, transitions, sorted({t.at[:10] for t in transitions if t.at[:10] < today})
    )
