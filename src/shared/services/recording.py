"""Recording one run — local or from a satellite — with exactly-once effect.

The run, its aggregates and its check's new item are committed in one transaction guarded by the
run's idempotency marker and the check item's version, with an outbox entry holding the run's
events and, when the run moved the check's evaluated status, its check transitions (at the run's
time, for availability); the system's state is not part of it, so runs of different checks never
conflict. Only when the run changed what the system view shows of its check is the view recomputed
and stored (health_state.settle_view, with its transition event in its own outbox entry). Then the
caches are invalidated (the system's cached availability when check transitions were recorded), and
only then are the events published (services/outbox.py), so a redelivery after a crash between
commit and publish publishes them instead of losing them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.domain.health import is_failing
from shared.domain.records import (
    DuplicateRunError,
    OutboxEntry,
    RunCommit,
    StateVersionConflict,
    expiry_epoch,
    run_aggregates,
)
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

    def item(self) -> dict:
        """The run as its stored item (with its expiry when it has one)."""
        expiry = {"expiresAt": self.expires_at} if self.expires_at is not None else {}
        return expiry | {
            "runId": self.run_id,
            "systemId": self.system_id,
            "configurationId": self.configuration_id,
            "sourceId": self.source_id,
            "sourceLabel": self.source_label,
            "status": self.status,
            "latencyMs": self.latency_ms,
            "result": self.result,
            "assertions": self.assertions,
            "error": self.error,
            "timestamp": self.timestamp,
        }


@dataclass(frozen=True)
class RecordOutcome:
    outcome: str  # "recorded" | "duplicate" | "dropped"
    events: list[Event] = field(default_factory=list)


def record_run(c: Collaborators, run: RunInput) -> RecordOutcome:
    """Store a run once, update aggregates and health, invalidate, then publish (see module doc)."""
    for _ in c.conflicts.tries():
        context = c.repository.run_context(run.system_id, run.configuration_id)
        assignment = context["assignment"]
        if context["system"] is None or assignment is None:
            logger.info(
                "run dropped",
                reason="system or assignment gone",
                system_id=run.system_id,
                configuration_id=run.configuration_id,
            )
            return RecordOutcome("dropped")
        step = apply_check_run(
            context["check_state"],
            assignment,
            SliceRun(run.configuration_id, run.source_id, run.source_label, run.status, run.timestamp),
            now=c.clock(),
        )
        events = run_events(context["system"], assignment, run) if wants_run_events(c) else []
        entry = (
            outbox.new_entry(c, run.system_id, run.run_id, events, entry_id=run.run_id) if events else None
        )
        try:
            c.repository.commit_run(_commit(run, assignment, context["check_state"], step, entry))
        except DuplicateRunError:
            return _finish_duplicate(c, run, context)
        except StateVersionConflict:
            continue
        metrics.add_metric(name="RunRecorded", unit="Count", value=1)
        if is_failing(run.status):
            metrics.add_metric(name="RunFailed", unit="Count", value=1)
        view = _settle_check_change(c, run, step)
        if view and view.event:
            events.append(view.event)
        waiting = outbox.publishable(context["outbox"], run.run_id, c.clock())
        entries = [*waiting, *([entry] if entry else []), *([view.entry] if view and view.entry else [])]
        outbox.deliver(c, run.system_id, entries, view_changed=view is not None)
        return RecordOutcome("recorded", events)
    raise StateVersionConflict()


def _settle_check_change(c: Collaborators, run: RunInput, step: CheckStep) -> ViewWrite | None:
    """The one place a run's change of its check is acted on: check transitions (committed with the
    run) make the system's cached availability stale, and the system view is recomputed when the
    run changed what it shows of the check (the check's status or a source's status)."""
    if step.timeline.transitions:
        availability_cache.forget(c, run.system_id)
    if not step.shown_changed:
        return None
    return settle_view(
        c, run.system_id, reflect={run.configuration_id: step.item["version"]}, owner=run.run_id
    )


def _commit(
    run: RunInput, assignment: dict, check_state: dict | None, step: CheckStep, entry: OutboxEntry | None
) -> RunCommit:
    moment = parse_timestamp(run.timestamp)
    retention = assignment["retention"]
    expires = expiry_epoch(moment, retention["rawDays"])
    return RunCommit(
        run=run.item() | {"expiresAt": expires},
        marker={
            "runId": run.run_id,
            "systemId": run.system_id,
            "configurationId": run.configuration_id,
            "expiresAt": expires,
        },
        check_state=step.item,
        expected_check_version=check_state["version"] if check_state else None,
        aggregates=run_aggregates(moment, run.source_id, run.status, run.latency_ms, retention),
        outbox=entry,
        check_transitions=step.timeline.transitions,
        stale_days=step.timeline.stale_days,
    )


def wants_run_events(c: Collaborators) -> bool:
    """Per-run events are committed and published only when HC_RUN_EVENTS is on (tests without
    settings keep them): off, a run that changes no status writes no outbox entry at all."""
    return c.settings is None or c.settings.run_events


def run_events(system: dict, assignment: dict, run: RunInput) -> list[Event]:
    """The two events every recorded run publishes."""
    return [
        Event(
            RUN_COMPLETED,
            {
                "systemId": run.system_id,
                "systemName": system["name"],
                "configurationId": run.configuration_id,
                "configurationName": assignment["configurationName"],
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


def _finish_duplicate(c: Collaborators, run: RunInput, context: dict) -> RecordOutcome:
    """A redelivered run changes nothing; what a crashed first delivery left goes out now: the view it
    may not have settled, and its outbox entries."""
    metrics.add_metric(name="RunDuplicate", unit="Count", value=1)
    check_state = context["check_state"]
    view = (
        settle_view(
            c, run.system_id, reflect={run.configuration_id: int(check_state["version"])}, owner=run.run_id
        )
        if check_state
        else None
    )
    left = [e for e in context["outbox"] if e.owner == run.run_id]
    if view and view.entry:
        left.append(view.entry)
    if not left and view is None:
        return RecordOutcome("duplicate")
    outbox.deliver(c, run.system_id, left, view_changed=view is not None)
    return RecordOutcome("duplicate", [Event(e["detailType"], e["detail"]) for x in left for e in x.events])
