"""Recording many runs of one system at once (a satellite batch) with the rules of `record_run`.

Up to CHUNK runs (fewer when their writes would pass DynamoDB's 100 items per transaction) share
one transaction: their run items (each conditional on absence: the run's idempotency marker),
summed hourly aggregates (and daily ones for days already rolled up, as `record_run` does), the
check items they changed (conditional on their versions), the system state when its view changed
(conditional on its version), transitions, the check transitions of runs that moved their check's
evaluated status (at each run's time) and one outbox entry when they have events.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from shared.domain import aggregates
from shared.domain.catalog_items import AssignmentItem
from shared.domain.credential_items import SatelliteItem
from shared.domain.history_items import CheckTransitionItem, TransitionItem
from shared.domain.records import (
    AggregateIncrement,
    DuplicateRunError,
    OutboxEntry,
    StateVersionConflict,
    is_rolled,
    run_aggregates,
)
from shared.domain.snapshots import CheckReads, SystemSnapshot
from shared.domain.state_items import CheckStateItem
from shared.domain.wire import parse_timestamp
from shared.events import Event
from shared.services import availability_cache, outbox
from shared.services.check_state import SliceRun, apply_check_run
from shared.services.context import Collaborators
from shared.services.health_state import next_state, offline_sources, satellites_of
from shared.services.recording import RunInput, run_events, wants_run_events
from shared.services.satellite_results import IngestReport, result_id

CHUNK = 90
TRANSACTION_ITEMS = 100


def record_system_runs(
    c: Collaborators,
    satellite: SatelliteItem,
    system_id: str,
    runs: list[RunInput],
    report: IngestReport,
    *,
    reads: CheckReads,
    resent: bool = False,
) -> outbox.Delivery:
    """Commit a system's runs chunk by chunk on one snapshot (re-read only after a conflict); returns
    what the caller delivers (invalidate the system, then publish every chunk's events with those it
    may publish), so a batch of many systems publishes once. `reads`
    (read before this call) holds the system, its state and the runs' checks: while no run changes
    what the view shows of its check, they are all the runs need, and the outbox is queried only
    when a check's sweep is due or the batch `resent` results (outbox.sweep_due); otherwise the
    partition is read (after that state: see `_evaluation_snapshot`)."""
    snapshot = reads.snapshot_of(system_id)
    now = c.clock()
    whole = snapshot.system is None or _changes_a_view(snapshot, runs, now)
    if whole:
        snapshot = replace(c.repository.system_snapshot(system_id), state=snapshot.state)
        stored = snapshot.outbox
    elif resent or any(outbox.sweep_due(snapshot.check_states.get(r.configuration_id), now) for r in runs):
        stored = c.repository.outbox_of(system_id)
    else:
        stored = None
    waiting = outbox.publishable(stored or [], satellite.id, now)
    swept_at = now if stored is not None else None
    satellites: dict[str, SatelliteItem] | None = None
    committed: list[OutboxEntry] = []
    view_changed = False
    pending = runs
    while pending:
        for _ in c.conflicts.tries():
            if snapshot.system is None:
                raise StateVersionConflict()
            if whole and satellites is None:
                # The reporting satellite is online (it is reporting): only the others' liveness is read.
                satellites = satellites_of(c, snapshot, besides=satellite.id)
            try:
                taken, after, entry = _commit_chunk(c, satellite, snapshot, satellites, pending, swept_at)
                view_changed = view_changed or after.state is not snapshot.state
                break
            except _PartitionNeeded:
                snapshot, whole = replace(c.repository.system_snapshot(system_id), state=snapshot.state), True
                continue
            except StateVersionConflict:
                snapshot, whole = _evaluation_snapshot(c, system_id), True
                continue
            except DuplicateRunError:
                # A concurrent delivery recorded some of them first: drop those and retry the rest.
                known = c.repository.known_run_ids([r.item() for r in pending[:CHUNK]])
                for run in pending[:CHUNK]:
                    if run.run_id in known:
                        report.accepted.remove(result_id(run))
                        report.duplicates.append(result_id(run))
                pending = [r for r in pending if r.run_id not in known]
                snapshot, whole = _evaluation_snapshot(c, system_id), True
                if not pending:
                    taken, after, entry = 0, None, None
                    break
        else:
            raise StateVersionConflict()
        pending = pending[taken:]
        if after is not None:
            snapshot = after
        if entry is not None:
            committed.append(entry)
    return outbox.Delivery(system_id, [*waiting, *committed], view_changed)


class _PartitionNeeded(Exception):
    """A run changes what the view shows of its check: the view is built from the whole partition."""


def _changes_a_view(snapshot: SystemSnapshot, runs: list[RunInput], now: datetime) -> bool:
    """Whether any of the runs, applied in order, changes what the view shows of its check (pure)."""
    assignments = {a.configuration_id: a for a in snapshot.assignments}
    check_states = dict(snapshot.check_states)
    for run in runs:
        assignment = assignments.get(run.configuration_id)
        if assignment is None:
            continue
        step = apply_check_run(check_states.get(run.configuration_id), assignment, _slice_run(run), now=now)
        if step.shown_changed:
            return True
        check_states[run.configuration_id] = step.item
    return False


def _slice_run(run: RunInput) -> SliceRun:
    return SliceRun(run.configuration_id, run.source_id, run.source_label, run.status, run.timestamp)


def _evaluation_snapshot(c: Collaborators, system_id: str) -> SystemSnapshot:
    """The snapshot with its state read first (see health_state.settle_view): a view built from check
    items older than the state it is written over could then only be written over a version that
    has moved on, and conflicts. Any read of the state made before the partition's does."""
    state = c.repository.get_state(system_id)
    return replace(c.repository.system_snapshot(system_id), state=state)


def _commit_chunk(
    c: Collaborators,
    satellite: SatelliteItem,
    snapshot: SystemSnapshot,
    satellites: dict[str, SatelliteItem] | None,
    runs: list[RunInput],
    swept_at: datetime | None,
) -> tuple[int, SystemSnapshot, OutboxEntry | None]:
    """Commit the longest prefix of `runs` (at most CHUNK) whose writes fit in one transaction;
    returns how many runs it took, the snapshot after it and the outbox entry to publish. Without
    `satellites` the snapshot holds only the runs' checks: a run that changes the view raises
    _PartitionNeeded before anything is written. `swept_at`: when the system's outbox was read for
    this batch, noted on the check items it writes."""
    system_id = snapshot.system.id
    now = c.clock()
    offline = offline_sources(satellites or {}, now) - {satellite.id}
    assignments = {a.configuration_id: a for a in snapshot.assignments}
    read_versions = {k: v.version for k, v in snapshot.check_states.items()}
    working = snapshot
    view_changed = False
    events: list[Event] = []
    transitions: list[tuple[TransitionItem, int]] = []
    check_transitions: list[CheckTransitionItem] = []
    stale_days: set[str] = set()
    summed: dict[tuple, AggregateIncrement] = {}
    chunk: list[RunInput] = []
    for run in runs[:CHUNK]:
        assignment = assignments.get(run.configuration_id)
        step = None
        if assignment is not None:
            step = apply_check_run(
                working.check_states.get(run.configuration_id), assignment, _slice_run(run), now=now
            )
        outcome = None
        if step is not None and step.shown_changed:
            if satellites is None:
                raise _PartitionNeeded()
            outcome = next_state(
                replace(working, check_states=working.check_states | {run.configuration_id: step.item}),
                now,
                offline=offline,
            )
        # Markers, aggregates, check items and transitions, plus the state and the outbox entry, must
        # stay within DynamoDB's limit of items per transaction: a flapping or hours-long backlog
        # adds a transition or aggregates per run.
        new_aggregates = (
            len(_aggregate_keys(run, working.check_states.get(run.configuration_id)) - summed.keys())
            if assignment is not None
            else 0
        )
        touched = {r.configuration_id for r in chunk if r.configuration_id in assignments}
        new_check = 1 if assignment is not None and run.configuration_id not in touched else 0
        needed = (
            len(chunk)
            + 1
            + len(summed)
            + new_aggregates
            + len(touched)
            + new_check
            + len(transitions)
            + (1 if outcome is not None and outcome.transition else 0)
            + len(check_transitions)
            + len(stale_days)
            + (2 * len(step.timeline.transitions) if step is not None else 0)
            + 2
        )
        if chunk and needed > TRANSACTION_ITEMS:
            break
        chunk.append(run)
        if assignment is None or step is None:
            continue
        if wants_run_events(c):
            events += run_events(snapshot.system, assignment, run)
        _sum_aggregates(summed, run, assignment, working.check_states.get(run.configuration_id))
        working = replace(working, check_states=working.check_states | {run.configuration_id: step.item})
        check_transitions += step.timeline.transitions
        stale_days.update(step.timeline.stale_days)
        if outcome is None:
            continue
        view_changed = True
        working = replace(working, state=outcome.item)
        if outcome.transition:
            transitions.append((outcome.transition, outcome.item.version))
            events.append(outcome.event)
    if view_changed:
        # the last runs may have moved only last-run times and check versions since the last evaluation
        working = replace(working, state=next_state(working, now, offline=offline).item)
    touched = {r.configuration_id for r in chunk if r.configuration_id in assignments}
    if swept_at is not None:
        noted = {k: outbox.swept(working.check_states[k], swept_at) for k in touched}
        working = replace(working, check_states=working.check_states | noted)
    entry = outbox.new_entry(c, system_id, satellite.id, events) if events else None
    c.repository.commit_run_batch(
        system_id,
        runs=[r.item() for r in chunk],
        aggregates=list(summed.values()),
        check_states=[(working.check_states[k], read_versions.get(k)) for k in sorted(touched)],
        state=working.state if view_changed else None,
        expected_state_version=snapshot.state.version if snapshot.state else None,
        transitions=transitions,
        outbox=entry,
        check_transitions=check_transitions,
        stale_days=sorted(stale_days),
    )
    if check_transitions:
        availability_cache.forget(c, system_id)
    return len(chunk), working, entry


def _aggregate_keys(run: RunInput, check_state: CheckStateItem | None) -> set[tuple]:
    moment = parse_timestamp(run.timestamp)
    day = aggregates.day_key(moment)
    wanted = {(run.configuration_id, "hourly", aggregates.hour_key(moment), run.source_id)}
    if is_rolled(day, check_state.rolled_through if check_state else None):
        wanted.add((run.configuration_id, "daily", day, run.source_id))
    return wanted


def _sum_aggregates(
    summed: dict, run: RunInput, assignment: AssignmentItem, check_state: CheckStateItem | None
) -> None:
    moment = parse_timestamp(run.timestamp)
    for increment in run_aggregates(
        moment,
        run.source_id,
        run.status,
        run.latency_ms,
        assignment.retention,
        rolled_through=check_state.rolled_through if check_state else None,
    ):
        key = (run.configuration_id, increment.tier, increment.start, run.source_id)
        if key in summed:
            _, existing = summed[key]
            for name, value in increment.increments.items():
                existing.increments[name] = existing.increments.get(name, 0) + value
            existing.expires_at = max(existing.expires_at, increment.expires_at)
        else:
            summed[key] = (run.configuration_id, increment)
