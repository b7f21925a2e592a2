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

    item: dict
    previous_status: str
    status: str
    shown_changed: bool
    timeline: check_timeline.TimelineChange

    @property
    def status_changed(self) -> bool:
        """The check's evaluated (quorum-applied) status changed with this run."""
        return self.status != self.previous_status


def assigned_sources(assignment: dict) -> set[str]:
    """The sources whose slices count for an assignment."""
    return set(assignment["satelliteIds"]) | ({"local"} if assignment["includeLocal"] else set())


def check_status(item: dict | None, assignment: dict) -> str:
    """The check's quorum status over its assigned sources (offline sources are the view's concern)."""
    return health.evaluate_check(_assigned_slices(item, assignment), assignment["quorum"]["mode"])


def shown(item: dict | None, assignment: dict) -> tuple[str, dict[str, str]]:
    """What a system view shows of a check: its status and each assigned source's status."""
    slices = _assigned_slices(item, assignment)
    return check_status(item, assignment), {s.source_id: s.status for s in slices}


def _assigned_slices(item: dict | None, assignment: dict) -> list[health.SliceState]:
    sources = assigned_sources(assignment)
    slices = (item or {}).get("slices", {})
    return [health.SliceState.from_item(slices[s]) for s in sorted(slices) if s in sources]


def apply_check_run(item: dict | None, assignment: dict, run: SliceRun, *, now: datetime) -> CheckStep:
    """The check's item after one run (pure). A late run (older than the run that decided its
    slice) or a run of a source no longer assigned is history only: the slices and the timeline
    stay as they were."""
    before = shown(item, assignment)
    slices = dict((item or {}).get("slices", {}))
    entry = (item or {}).get("timeline", {})
    prior = slices.get(run.source_id)
    late = bool(prior and prior.get("lastRunAt") and run.at < prior["lastRunAt"])
    timeline = check_timeline.TimelineChange(entry)
    if run.source_id in assigned_sources(assignment) and not late:
        updated = health.apply_run(
            health.SliceState.from_item(prior) if prior else None,
            run_status=run.status,
            at=run.at,
            thresholds=_thresholds.validate_python(assignment["stateThresholds"]),
            source_id=run.source_id,
            source_label=run.source_label,
        )
        slices[run.source_id] = updated.to_item()
        timeline = check_timeline.after_run(
            entry, assignment, _assigned(slices, assignment), source_id=run.source_id, run_at=run.at, now=now
        )
    new_item = _item(item, assignment, slices, timeline.timeline)
    after = shown(new_item, assignment)
    return CheckStep(new_item, before[0], after[0], after != before, _stamped(timeline, new_item))


def withdrawn(item: dict | None, assignment: dict, *, now: datetime) -> CheckStep | None:
    """The check's item once a change without a run (a disabled assignment, a paused configuration)
    stopped counting it: its timeline moves to unknown from `now`. None when nothing moves."""
    if item is None:
        return None
    timeline = check_timeline.after_reevaluation(item.get("timeline", {}), assignment, now=now)
    if not timeline.transitions:
        return None
    new_item = _item(item, assignment, item.get("slices", {}), timeline.timeline)
    status = check_status(item, assignment)
    return CheckStep(new_item, status, status, False, _stamped(timeline, new_item))


def _assigned(slices: dict, assignment: dict) -> dict:
    sources = assigned_sources(assignment)
    return {s: slice_item for s, slice_item in slices.items() if s in sources}


# What the item keeps for others across runs: the last day rolled up (services/rollup.py) and when
# a run last read the system's outbox (services/recording.py).
CARRIED = ("rolledThrough", "outboxSweptAt")


def _item(item: dict | None, assignment: dict, slices: dict, timeline: dict) -> dict:
    return {
        "systemId": assignment["systemId"],
        "configurationId": assignment["configurationId"],
        "version": (item["version"] if item else 0) + 1,
        "slices": slices,
        **{k: item[k] for k in CARRIED if item and k in item},
    } | ({"timeline": timeline} if timeline else {})


def _stamped(timeline: check_timeline.TimelineChange, item: dict) -> check_timeline.TimelineChange:
    """Each check transition carries the version of the item that made it (its key's tiebreak)."""
    stamped = [t.model_copy(update={"check_version": item["version"]}) for t in timeline.transitions]
    return check_timeline.TimelineChange(timeline.timeline, stamped, timeline.stale_days)
