"""The precomputed health state of a system: its slices, its SystemHealth view, its transitions.

`next_state` is the one place a state is derived (pure); `reevaluate_systems` stores it for
changes that carry no run (assignments, pauses), `record_run` for runs. The state item is
written conditionally on its version, so the single winner of a change emits its transition.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import TypeAdapter

from shared.domain import check_timeline, health
from shared.domain.assignment_models import StateThresholds
from shared.domain.records import StateVersionConflict
from shared.domain.wire import format_timestamp, parse_timestamp
from shared.events import SYSTEM_HEALTH_CHANGED, Event
from shared.services import availability_cache

_thresholds = TypeAdapter(StateThresholds)
DEFAULT_HEARTBEAT_SECONDS = 30


@dataclass(frozen=True)
class SliceRun:
    """A run as far as health evaluation cares."""

    configuration_id: str
    source_id: str
    source_label: str
    status: str
    at: str


@dataclass(frozen=True)
class NextState:
    item: dict
    transition: dict | None
    event: Event | None
    changed: bool
    timeline: check_timeline.TimelineChange | None = None


def initial_state(system_id: str, now: str) -> dict:
    """The state of a system nobody has checked yet."""
    view = {"systemId": system_id, "status": "unknown", "evaluatedAt": now, "since": now, "checks": []}
    return {
        "systemId": system_id,
        "version": 1,
        "status": "unknown",
        "since": now,
        "slices": {},
        "view": view,
    }


def offline_sources(satellites: dict[str, dict], now: datetime) -> set[str]:
    """Satellites whose last heartbeat or result is older than three heartbeat intervals."""
    offline = set()
    for satellite_id, satellite in satellites.items():
        seen = satellite.get("lastSeenAt")
        interval = satellite.get("heartbeatIntervalSeconds", DEFAULT_HEARTBEAT_SECONDS)
        if not seen or now - parse_timestamp(seen) > timedelta(seconds=3 * interval):
            offline.add(satellite_id)
    return offline


def next_state(
    snapshot: dict,
    now: datetime,
    *,
    run: SliceRun | None = None,
    offline: frozenset[str] | set[str] = frozenset(),
) -> NextState:
    """Derive a system's next state from its snapshot and, optionally, one new run (pure)."""
    system = snapshot["system"]
    previous = snapshot["state"] or initial_state(system["id"], format_timestamp(now))
    at = format_timestamp(now)
    slices: dict = copy.deepcopy(previous.get("slices", {}))
    assignments = {a["configurationId"]: a for a in snapshot["assignments"]}

    prior = slices.get(run.configuration_id, {}).get(run.source_id) if run else None
    # A late delivery (a satellite spool drained out of order) is history, not news: it is stored
    # and counted by the caller, but it must not override the newer run that decided its slice.
    late = bool(prior and prior.get("lastRunAt") and run.at < prior["lastRunAt"])
    if run is not None and run.configuration_id in assignments and not late:
        assignment = assignments[run.configuration_id]
        updated = health.apply_run(
            health.SliceState.from_item(prior) if prior else None,
            run_status=run.status,
            at=run.at,
            thresholds=_thresholds.validate_python(assignment["stateThresholds"]),
            source_id=run.source_id,
            source_label=run.source_label,
        )
        slices.setdefault(run.configuration_id, {})[run.source_id] = updated.to_item()

    checks = []
    for configuration_id, assignment in sorted(assignments.items()):
        sources = set(assignment["satelliteIds"]) | ({"local"} if assignment["includeLocal"] else set())
        kept = {s: item for s, item in slices.get(configuration_id, {}).items() if s in sources}
        slices[configuration_id] = kept
        if not assignment["enabled"] or assignment.get("configurationPaused"):
            continue
        checks.append(
            health.CheckSlices(
                configuration_id=configuration_id,
                configuration_name=assignment["configurationName"],
                quorum_mode=assignment["quorum"]["mode"],
                slices=tuple(health.SliceState.from_item(item) for item in kept.values()),
            )
        )
    slices = {k: v for k, v in slices.items() if k in assignments}
    timeline = _timeline_change(previous, assignments, slices, system["id"], run, late, now)

    health_view = health.build_health_view(
        system_id=system["id"],
        checks=checks,
        evaluated_at=at,
        previous_status=previous["status"],
        previous_since=previous["since"],
        offline_sources=offline,
    )
    view = health_view.to_wire()
    status, since = health_view.status, view["since"]
    changed = (
        slices != previous.get("slices")
        or _comparable(view) != _comparable(previous.get("view") or {})
        or timeline.timeline != previous.get("timeline", {})
    )
    item = {
        "systemId": system["id"],
        "version": previous["version"] + 1,
        "status": status,
        "since": since,
        "slices": slices,
        "view": view,
        "timeline": timeline.timeline,
    }
    if status == previous["status"]:
        return NextState(item, None, None, changed, timeline)

    suppressed = any(
        m["suppressNotifications"] and m["startsAt"] <= at < m["endsAt"] for m in snapshot["maintenances"]
    )
    transition = {
        "systemId": system["id"],
        "previousStatus": previous["status"],
        "newStatus": status,
        "at": at,
        "suppressed": suppressed,
    }
    event = Event(
        SYSTEM_HEALTH_CHANGED,
        {
            "systemId": system["id"],
            "systemName": system["name"],
            "previousStatus": previous["status"],
            "newStatus": status,
            "healthyChecks": sum(1 for check in health_view.checks if check.status == "healthy"),
            "totalChecks": len(health_view.checks),
            "suppressed": suppressed,
            "timestamp": at,
        },
    )
    return NextState(item, transition, event, True, timeline)


def _timeline_change(
    previous: dict, assignments: dict, slices: dict, system_id: str, run: SliceRun | None, late: bool, now
) -> check_timeline.TimelineChange:
    """When a check's evaluated status changes, the check transitions to add to the commit."""
    before = previous.get("timeline", {})
    if run is None:
        return check_timeline.after_reevaluation(before, assignments, system_id=system_id, now=now)
    if late or run.configuration_id not in assignments:
        return check_timeline.TimelineChange(before)
    return check_timeline.after_run(
        before,
        assignments[run.configuration_id],
        slices.get(run.configuration_id, {}),
        system_id=system_id,
        source_id=run.source_id,
        run_at=run.at,
        now=now,
    )


def _comparable(view: dict) -> dict:
    return {k: v for k, v in view.items() if k != "evaluatedAt"}


def reevaluate_systems(c, system_ids: list[str]) -> list[Event]:
    """Re-derive and store the state of each system after a change without a run; returns the
    transition events still to publish (after the caller's cache invalidation)."""
    events: list[Event] = []
    for system_id in dict.fromkeys(system_ids):
        for _ in c.conflicts.tries():
            snapshot = c.repository.system_snapshot(system_id)
            if snapshot["system"] is None:
                break
            now = c.clock()
            satellites = satellites_of(c, snapshot)
            outcome = next_state(snapshot, now, offline=offline_sources(satellites, now))
            if not outcome.changed:
                break
            expected = snapshot["state"]["version"] if snapshot["state"] else None
            try:
                c.repository.store_state(
                    system_id,
                    outcome.item,
                    expected_version=expected,
                    transition=outcome.transition,
                    check_transitions=outcome.timeline.transitions,
                    stale_days=outcome.timeline.stale_days,
                )
            except StateVersionConflict:
                continue
            if outcome.timeline.transitions:
                availability_cache.forget(c, system_id)
            if outcome.event:
                events.append(outcome.event)
            break
    return events


def satellites_of(c, snapshot: dict) -> dict[str, dict]:
    """The satellites serving any check of the snapshot's system, by id."""
    satellite_ids = sorted({s for a in snapshot["assignments"] for s in a["satelliteIds"]})
    return c.repository.get_satellites(satellite_ids) if satellite_ids else {}
