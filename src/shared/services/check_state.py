"""One check's state item: the slices of its sources, written by every run of that check.

A run changes only its own check's item (conditional on that item's version), so runs of
different checks of one system never conflict. `apply_check_run` is the one place that knows
whether a run changed what the system's view shows of its check (the check's quorum status or a
source's status); only then is the system view recomputed (health_state.settle_view). The item also
carries the check's availability timeline (domain/check_timeline.py): a run that moves the check's
evaluated status returns its check transitions, committed with the item at the run's time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import TypeAdapter

from shared.domain import check_timeline, health
from shared.domain.assignment_models import StateThresholds
from shared.domain.catalog_items import AssignmentItem
from shared.domain.state_items import CheckStateItem, TimelineEntry

_thresholds = TypeAdapter(StateThresholds)


@dataclass(frozen=True)
class SliceRun:
    """A run as far as health evaluation cares."""

    configuration_id: str
    source_id: str
    source_label: str
    status: str
    at: str


@dataclass(frozen=True)
class CheckStep:
    """A check's item after one run, and what of it the system view shows, before and after."""

    item: CheckStateItem
    previous_status: str
    status: str
    shown_changed: bool
    timeline: check_timeline.TimelineChange

    @property
    def status_changed(self) -> bool:
        """The check's evaluated (quorum-applied) status changed with this run."""
        return self.status != self.previous_status


def assigned_sources(assignment: AssignmentItem) -> set[str]:
    """The sources whose slices count for an assignment."""
    return set(assignment.satellite_ids) | ({"local"} if assignment.include_local else set())


def check_slices(assignment: AssignmentItem, item: CheckStateItem | None) -> health.CheckSlices:
    """An assigned check with the slices of its assigned sources, as the system view evaluates it."""
    return health.CheckSlices(
        configuration_id=assignment.configuration_id,
        configuration_name=assignment.configuration_name,
        quorum_mode=assignment.quorum["mode"],
        slices=item.slices_of(assigned_sources(assignment)) if item else (),
    )


def check_status(item: CheckStateItem | None, assignment: AssignmentItem) -> str:
    """The check's quorum status over its assigned sources (offline sources are the view's concern)."""
    check = check_slices(assignment, item)
    return health.evaluate_check(check.slices, check.quorum_mode)


def shown(item: CheckStateItem | None, assignment: AssignmentItem) -> tuple[str, dict[str, str]]:
    """What a system view shows of a check: its status and each assigned source's status."""
    check = check_slices(assignment, item)
    return health.evaluate_check(check.slices, check.quorum_mode), {
        s.source_id: s.status for s in check.slices
    }


def apply_check_run(
    item: CheckStateItem | None, assignment: AssignmentItem, run: SliceRun, *, now: datetime
) -> CheckStep:
    """The check's item after one run (pure). A late run (older than the run that decided its
    slice) or a run of a source no longer assigned is history only: the slices and the timeline
    stay as they were."""
    before = shown(item, assignment)
    slices = dict(item.slices) if item else {}
    entry = item.timeline if item else None
    prior = slices.get(run.source_id)
    late = bool(prior and prior.last_run_at and run.at < prior.last_run_at)
    timeline = check_timeline.TimelineChange(entry)
    if run.source_id in assigned_sources(assignment) and not late:
        slices[run.source_id] = health.apply_run(
            prior,
            run_status=run.status,
            at=run.at,
            thresholds=_thresholds.validate_python(assignment.state_thresholds),
            source_id=run.source_id,
            source_label=run.source_label,
        )
        timeline = check_timeline.after_run(
            entry, assignment, _assigned(slices, assignment), source_id=run.source_id, run_at=run.at, now=now
        )
    new_item = _item(item, assignment, slices, timeline.timeline)
    after = shown(new_item, assignment)
    return CheckStep(new_item, before[0], after[0], after != before, _stamped(timeline, new_item))


def withdrawn(item: CheckStateItem | None, assignment: AssignmentItem, *, now: datetime) -> CheckStep | None:
    """The check's item once a change without a run (a disabled assignment, a paused configuration)
    stopped counting it: its timeline moves to unknown from `now`. None when nothing moves."""
    if item is None:
        return None
    timeline = check_timeline.after_reevaluation(item.timeline, assignment, now=now)
    if not timeline.transitions:
        return None
    new_item = _item(item, assignment, item.slices, timeline.timeline)
    status = check_status(item, assignment)
    return CheckStep(new_item, status, status, False, _stamped(timeline, new_item))


def _assigned(
    slices: dict[str, health.SliceState], assignment: AssignmentItem
) -> dict[str, health.SliceState]:
    sources = assigned_sources(assignment)
    return {s: state for s, state in slices.items() if s in sources}


def _item(
    item: CheckStateItem | None,
    assignment: AssignmentItem,
    slices: dict[str, health.SliceState],
    timeline: TimelineEntry | None,
) -> CheckStateItem:
    """The next version of the item; what it keeps for others across runs (`rolledThrough`,
    `outboxSweptAt`) carried over."""
    if item is None:
        return CheckStateItem(
            system_id=assignment.system_id,
            configuration_id=assignment.configuration_id,
            version=1,
            slices=slices,
            timeline=timeline,
        )
    return item.model_copy(update={"version": item.version + 1, "slices": slices, "timeline": timeline})


def _stamped(timeline: check_timeline.TimelineChange, item: CheckStateItem) -> check_timeline.TimelineChange:
    """Each check transition carries the version of the item that made it (its key's tiebreak)."""
    stamped = [t.model_copy(update={"check_version": item.version}) for t in timeline.transitions]
    return check_timeline.TimelineChange(timeline.timeline, stamped, timeline.stale_days)
