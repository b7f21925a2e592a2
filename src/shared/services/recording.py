"""Recording one run — local or from a satellite — with exactly-once effect.

The run item, its hourly aggregate and its check's new item are committed in one transaction
guarded by the run item's absence (it is filed under a time fixed per request, so it is the run's
idempotency marker) and the check item's version; a run of a day already rolled up adds to that
day's daily aggregate too (services/rollup.py rolls the others). When the run has events (per-run
events are off by default) an outbox entry holds them, and when it moved the check's evaluated
status, its check transitions (at the run's time, for availability) join it; the system's state is
not part of it, so runs of different checks never conflict. In the steady state that is three
items of 1 KB or less: 6 write units. Only when the run changed what the system view shows of its
check is the view recomputed and stored (health_state.settle_view, with its transition event in its
own outbox entry). Then the caches are invalidated (only when the view changed or events go out;
the system's cached availability when check transitions were recorded), and only then are the
events published (services/outbox.py), so a redelivery after a crash between commit and publish
publishes them instead of losing them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from shared.domain.catalog_items import AssignmentItem, SystemItem
from shared.domain.health import is_failing
from shared.domain.history_items import RunItem
from shared.domain.records import (
    DuplicateRunError,
    OutboxEntry,
    RunCommit,
    StateVersionConflict,
    expiry_epoch,
    run_aggregates,
)
from shared.domain.snapshots import RunContext
from shared.domain.state_items import CheckStateItem
from shared.domain.wire import parse_timestamp
from shared.events import CHECK_COMPLETED, RUN_COMPLETED, Event
from shared.observability import logger, metrics
from shared.services import availability_cache, outbox
from shared.services.check_state import CheckStep, SliceRun, apply_check_run
from shared.services.context import Collaborators
from shared.services.health_state import ViewWrite, settle_view


@dataclass(frozen=True)
class RunInput:
    run_id: str
    system_id: str
    configuration_id: str
    source_id: str
    source_label: str
    status: str
    latency_ms: float | None
    timestamp: str
    result: dict[str, Any] = field(default_factory=dict)
    assertions: list[dict] = field(default_factory=list)
    error: dict | None = None
    expires_at: int | None = None
    # When the request fixes the run's key (the scheduled slot, a manual request's time), so that a
    # redelivery, probed again at another time, finds the run item it wrote; else `timestamp`.
    filed_at: str | None = None

    def item(self, *, expires_at: int | None = None) -> RunItem:
        """The run as its stored item (with its expiry and its filing time when it has them)."""
        return RunItem(
            run_id=self.run_id,
            system_id=self.system_id,
            configuration_id=self.configuration_id,
            source_id=self.source_id,
            source_label=self.source_label,
            status=self.status,
            latency_ms=self.latency_ms,
            result=self.result,
            assertions=self.assertions,
            error=self.error,
            timestamp=self.timestamp,
            expires_at=self.expires_at if expires_at is None else expires_at,
            filed_at=self.filed_at if self.filed_at != self.timestamp else None,
        )


@dataclass(frozen=True)
class RecordOutcome:
    outcome: str  # "recorded" | "duplicate" | "dropped"
    events: list[Event] = field(default_factory=list)


def record_run(c: Collaborators, run: RunInput) -> RecordOutcome:
    """Store a run once, update aggregates and health, invalidate, then publish (see module doc)."""
    for _ in c.conflicts.tries():
        context = c.repository.run_context(run.system_id, run.configuration_id, with_outbox=False)
        assignment = context.assignment
        if context.system is None or assignment is None:
            logger.info(
                "run dropped",
                reason="system or assignment gone",
                system_id=run.system_id,
                configuration_id=run.configuration_id,
            )
            return RecordOutcome("dropped")
        step = apply_check_run(
            context.check_state,
            assignment,
            SliceRun(run.configuration_id, run.source_id, run.source_label, run.status, run.timestamp),
            now=c.clock(),
        )
        left, step = _leftover_entries(c, run, context.check_state, step)
        events = run_events(context.system, assignment, run) if wants_run_events(c) else []
        entry = (
            outbox.new_entry(c, run.system_id, run.run_id, events, entry_id=run.run_id) if events else None
        )
        try:
            c.repository.commit_run(_commit(run, assignment, context.check_state, step, entry))
        except DuplicateRunError:
            return _finish_duplicate(c, run, replace(context, outbox=c.repository.outbox_of(run.system_id)))
        except StateVersionConflict:
            continue
        metrics.add_metric(name="RunRecorded", unit="Count", value=1)
        if is_failing(run.status):
            metrics.add_metric(name="RunFailed", unit="Count", value=1)
        view = _settle_check_change(c, run, step)
        if view and view.event:
            events.append(view.event)
        entries = [*left, *([entry] if entry else []), *([view.entry] if view and view.entry else [])]
        outbox.deliver(c, run.system_id, entries, view_changed=view is not None)
        return RecordOutcome("recorded", events)
    raise StateVersionConflict()


def _leftover_entries(
    c: Collaborators, run: RunInput, check_state: CheckStateItem | None, step: CheckStep
) -> tuple[list[OutboxEntry], CheckStep]:
    """Outbox entries a crashed writer left that this run may publish. Their hold (OWNED_FOR) is
    long, so the system's outbox is read by at most one run of a check per OWNED_FOR (the check
    item keeps when it was last read), not by every run: its own entry a run publishes directly."""
    now = c.clock()
    if not outbox.sweep_due(check_state, now):
        return [], step
    left = outbox.publishable(c.repository.outbox_of(run.system_id), run.run_id, now)
    return left, replace(step, item=outbox.swept(step.item, now))


def _settle_check_change(c: Collaborators, run: RunInput, step: CheckStep) -> ViewWrite | None:
    """The one place a run's change of its check is acted on: check transitions (committed with the
    run) make the system's cached availability stale, and the system view is recomputed when the
    run changed what it shows of the check (the check's status or a source's status)."""
    if step.timeline.transitions:
        availability_cache.forget(c, run.system_id)
    if not step.shown_changed:
        return None
    return settle_view(c, run.system_id, reflect={run.configuration_id: step.item.version}, owner=run.run_id)


def _commit(
    run: RunInput,
    assignment: AssignmentItem,
    check_state: CheckStateItem | None,
    step: CheckStep,
    entry: OutboxEntry | None,
) -> RunCommit:
    moment = parse_timestamp(run.timestamp)
    retention = assignment.retention
    return RunCommit(
        run=run.item(expires_at=expiry_epoch(moment, retention["rawDays"])),
        check_state=step.item,
        expected_check_version=check_state.version if check_state else None,
        aggregates=run_aggregates(
            moment,
            run.source_id,
            run.status,
            run.latency_ms,
            retention,
            rolled_through=check_state.rolled_through if check_state else None,
        ),
        outbox=entry,
        check_transitions=step.timeline.transitions,
        stale_days=step.timeline.stale_days,
    )


def wants_run_events(c: Collaborators) -> bool:
    """Per-run events are committed and published only when HC_RUN_EVENTS is on (off by default;
    tests without settings keep them): off, a run that changes no status writes no outbox entry."""
    return c.settings is None or c.settings.run_events


def run_events(system: SystemItem, assignment: AssignmentItem, run: RunInput) -> list[Event]:
    """The two events every recorded run publishes."""
    return [
        Event(
            RUN_COMPLETED,
            {
                "systemId": run.system_id,
                "systemName": system.name,
                "configurationId": run.configuration_id,
                "configurationName": assignment.configuration_name,
                "sourceId": run.source_id,
                "status": run.status,
                "latencyMs": run.latency_ms,
            },
        ),
        Event(
            CHECK_COMPLETED,
            {
                "systemId": run.system_id,
                "configurationId": run.configuration_id,
                "status": run.status,
                "latencyMs": run.latency_ms,
                "result": run.result,
                "timestamp": run.timestamp,
            },
        ),
    ]


def _finish_duplicate(c: Collaborators, run: RunInput, context: RunContext) -> RecordOutcome:
    """A redelivered run changes nothing; what a crashed first delivery left goes out now: the view it
    may not have settled, and its outbox entries."""
    metrics.add_metric(name="RunDuplicate", unit="Count", value=1)
    check_state = context.check_state
    view = (
        settle_view(c, run.system_id, reflect={run.configuration_id: check_state.version}, owner=run.run_id)
        if check_state
        else None
    )
    left = [e for e in context.outbox if e.owner == run.run_id]
    if view and view.entry:
        left.append(view.entry)
    if not left and view is None:
        return RecordOutcome("duplicate")
    outbox.deliver(c, run.system_id, left, view_changed=view is not None)
    return RecordOutcome("duplicate", [Event(e["detailType"], e["detail"]) for x in left for e in x.events])
