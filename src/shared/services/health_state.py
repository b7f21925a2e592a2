"""The precomputed health view of a system, recomputed from its checks' items only when it changes.

`next_state` is the one place a system's state is derived (pure), from the check items
(services/check_state.py). `settle_view` stores it: after a run changed what the view shows of its
check, and (through `reevaluate_systems`) after changes that carry no run (assignments, pauses,
satellites gone silent). The state item is written conditionally on its version, so the single
winner of a change emits its transition; it records the version of every check item it was built
from (`checkVersions`), so a writer whose check is already reflected stops without writing, and
one whose check is not forces a write, making a concurrent writer that read older check items
lose the race and recompute. A check that a change without a run stopped counting (a disabled
assignment, a paused configuration) has its availability timeline moved to unknown in the same
transaction (check_state.withdrawn), and the system's cached availability is then invalidated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from shared.domain import system_state
from shared.domain.check_timeline import counted
from shared.domain.credential_items import SatelliteItem
from shared.domain.history_items import TransitionItem
from shared.domain.records import OutboxEntry, StateVersionConflict
from shared.domain.snapshots import SystemSnapshot
from shared.domain.state_items import SystemStateItem
from shared.domain.system_state import initial_state
from shared.domain.wire import format_timestamp
from shared.events import SYSTEM_HEALTH_CHANGED, Event
from shared.services import availability_cache, outbox
from shared.services.check_state import CheckStep, SliceRun, check_slices, withdrawn

__all__ = ["SliceRun", "initial_state", "next_state", "reevaluate_systems", "settle_view"]


@dataclass(frozen=True)
class NextState:
    item: SystemStateItem
    transition: TransitionItem | None
    event: Event | None
    changed: bool


@dataclass(frozen=True)
class ViewWrite:
    """A stored view change: its transition event (if the status moved) and the outbox entry holding it."""

    event: Event | None
    entry: OutboxEntry | None


def offline_sources(satellites: Mapping[str, SatelliteItem], now: datetime) -> set[str]:
    """Satellites whose last heartbeat or result is older than three heartbeat intervals."""
    return {satellite_id for satellite_id, satellite in satellites.items() if satellite.offline_at(now)}


def next_state(
    snapshot: SystemSnapshot, now: datetime, *, offline: frozenset[str] | set[str] = frozenset()
) -> NextState:
    """Derive a system's next state from its snapshot: its assignments and its check items (pure)."""
    system = snapshot.system
    at = format_timestamp(now)
    assignments = {a.configuration_id: a for a in snapshot.assignments}
    check_states = snapshot.check_states
    step = system_state.next_system_state(
        snapshot.state,
        system_id=system.id,
        checks=[
            check_slices(assignment, check_states.get(configuration_id))
            for configuration_id, assignment in sorted(assignments.items())
            if counted(assignment)
        ],
        check_versions={k: check_states[k].version for k in assignments if k in check_states},
        now=at,
        offline_sources=offline,
    )
    item = step.item
    if not step.status_changed:
        return NextState(item, None, None, step.changed)

    suppressed = any(m.suppresses(at) for m in snapshot.maintenances)
    transition = TransitionItem(
        system_id=system.id,
        previous_status=step.previous_status,
        new_status=item.status,
        at=at,
        suppressed=suppressed,
    )
    event = Event(
        SYSTEM_HEALTH_CHANGED,
        {
            "systemId": system.id,
            "systemName": system.name,
            "previousStatus": step.previous_status,
            "newStatus": item.status,
            "healthyChecks": sum(1 for check in item.view.checks if check.status == "healthy"),
            "totalChecks": len(item.view.checks),
            "suppressed": suppressed,
            "timestamp": at,
        },
    )
    return NextState(item, transition, event, True)


def reflects(state: SystemStateItem | None, check_versions: dict[str, int]) -> bool:
    """The stored view was built from these check items or newer ones."""
    return state is not None and state.reflects(check_versions)


def settle_view(
    c, system_id: str, *, reflect: dict[str, int] | None = None, owner: str | None = None
) -> ViewWrite | None:
    """Recompute and store a system's view. With `reflect` (check id -> the version a run just
    wrote), store it unless the stored view already reflects those versions; without, only when
    the view changed. With an `owner`, the transition event is committed as that owner's outbox
    entry with the state; without, the caller publishes it. None when nothing was stored."""
    for _ in c.conflicts.tries():
        # The state is read before the check items, so a view built from older check items than the
        # stored view reflects can only be written over a version that has moved on: it conflicts.
        state = c.repository.get_state(system_id)
        if reflect and reflects(state, reflect):
            return None
        snapshot = replace(c.repository.system_snapshot(system_id), state=state)
        if snapshot.system is None:
            return None
        now = c.clock()
        moved = _withdrawn_checks(snapshot, now)
        snapshot = replace(
            snapshot, check_states=snapshot.check_states | {k: step.item for k, step in moved.items()}
        )
        outcome = next_state(snapshot, now, offline=offline_sources(satellites_of(c, snapshot), now))
        if not reflect and not outcome.changed and not moved:
            return None
        entry = None
        if owner is not None and outcome.event is not None:
            entry = outbox.new_entry(
                c, system_id, owner, [outcome.event], entry_id=f"{owner}#view#{outcome.item.version}"
            )
        try:
            c.repository.store_state(
                system_id,
                outcome.item,
                expected_version=state.version if state else None,
                transition=outcome.transition,
                outbox=entry,
                check_states=[(step.item, step.item.version - 1) for step in moved.values()],
                check_transitions=[t for step in moved.values() for t in step.timeline.transitions],
                stale_days=sorted({d for step in moved.values() for d in step.timeline.stale_days}),
            )
        except StateVersionConflict:
            continue
        if moved:
            availability_cache.forget(c, system_id)
        return ViewWrite(outcome.event, entry)
    raise StateVersionConflict()


def _withdrawn_checks(snapshot: SystemSnapshot, now: datetime) -> dict[str, CheckStep]:
    """The check items whose timeline moves to unknown because they stopped counting."""
    moved = {}
    for assignment in snapshot.assignments:
        configuration_id = assignment.configuration_id
        step = withdrawn(snapshot.check_states.get(configuration_id), assignment, now=now)
        if step is not None:
            moved[configuration_id] = step
    return moved


def reevaluate_systems(c, system_ids: list[str]) -> list[Event]:
    """Re-derive and store the state of each system after a change without a run; returns the
    transition events still to publish (after the caller's cache invalidation)."""
    events: list[Event] = []
    for system_id in dict.fromkeys(system_ids):
        written = settle_view(c, system_id)
        if written and written.event:
            events.append(written.event)
    return events


def satellites_of(c, snapshot: SystemSnapshot, *, besides: str | None = None) -> dict[str, SatelliteItem]:
    """The satellites serving any check of the snapshot's system, by id (all but `besides`)."""
    satellite_ids = sorted({s for a in snapshot.assignments for s in a.satellite_ids} - {besides})
    return c.repository.get_satellites(satellite_ids) if satellite_ids else {}
