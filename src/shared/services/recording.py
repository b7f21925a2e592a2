"""Recording one run — local or from a satellite — with exactly-once effect.

The run, its aggregates and the system's new state are committed in one transaction guarded
by the run's idempotency marker and the state's version, with an outbox entry holding the events.
Then the cache is invalidated, and only then are the events published (services/outbox.py), so a
redelivery after a crash between commit and publish publishes them instead of losing them.
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
from shared.services.context import Collaborators
from shared.services.health_state import SliceRun, next_state, offline_sources, satellites_of


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
        snapshot = c.repository.system_snapshot(run.system_id)
        assignment = next(
            (a for a in snapshot["assignments"] if a["configurationId"] == run.configuration_id), None
        )
        if snapshot["system"] is None or assignment is None:
            logger.info(
                "run dropped",
                reason="system or assignment gone",
                system_id=run.system_id,
                configuration_id=run.configuration_id,
            )
            return RecordOutcome("dropped")
        now = c.clock()
        state = next_state(
            snapshot,
            now,
            run=SliceRun(run.configuration_id, run.source_id, run.source_label, run.status, run.timestamp),
            offline=offline_sources(satellites_of(c, snapshot), now) - {run.source_id},
        )
        events = run_events(snapshot["system"], assignment, run)
        if state.event:
            events.append(state.event)
        entry = outbox.new_entry(c, run.system_id, run.run_id, events, entry_id=run.run_id)
        try:
            c.repository.commit_run(_commit(run, assignment, snapshot, state, entry))
        except DuplicateRunError:
            return _finish_duplicate(c, run, snapshot)
        except StateVersionConflict:
            continue
        if state.timeline.transitions:
            availability_cache.forget(c, run.system_id)
        metrics.add_metric(name="RunRecorded", unit="Count", value=1)
        if is_failing(run.status):
            metrics.add_metric(name="RunFailed", unit="Count", value=1)
        waiting = outbox.publishable(snapshot["outbox"], run.run_id, c.clock())
        outbox.deliver(c, run.system_id, [*waiting, entry])
        return RecordOutcome("recorded", events)
    raise StateVersionConflict()


def _commit(run: RunInput, assignment: dict, snapshot: dict, state, entry: OutboxEntry) -> RunCommit:
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
        state=state.item,
        expected_state_version=snapshot["state"]["version"] if snapshot["state"] else None,
        aggregates=run_aggregates(moment, run.source_id, run.status, run.latency_ms, retention),
        transition=state.transition,
        outbox=entry,
        # When a check's evaluated status changes, its CheckTransition item joins the commit.
        check_transitions=state.timeline.transitions,
        stale_days=state.timeline.stale_days,
    )


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


def _finish_duplicate(c: Collaborators, run: RunInput, snapshot: dict) -> RecordOutcome:
    """A redelivered run changes nothing; the entry a crashed first delivery left goes out now."""
    metrics.add_metric(name="RunDuplicate", unit="Count", value=1)
    left = [e for e in snapshot["outbox"] if e.owner == run.run_id]
    if not left:
        return RecordOutcome("duplicate")
    outbox.deliver(c, run.system_id, left)
    return RecordOutcome("duplicate", [Event(e["detailType"], e["detail"]) for x in left for e in x.events])
