"""Heartbeat monitors: issuing a ping token, taking a ping, and noticing a missed deadline.

Every outcome is a run recorded by `record_run` (thresholds, transitions, events, history and
availability as for probes). A missed deadline is named after the deadline, so the scheduler's
deadline check and a late ping that notices it first record it once between them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Protocol

from shared.domain import heartbeat as hb
from shared.domain.errors import NotFoundError, ThrottledError, ValidationFailedError
from shared.domain.heartbeat_items import HeartbeatItem, PingTargetItem
from shared.domain.wire import LOCAL_SOURCE_ID, format_timestamp
from shared.services.context import Collaborators
from shared.services.recording import RecordOutcome, RunInput, record_run
from shared.strategies.heartbeat_check import heartbeat_schedule

PINGS_PER_MINUTE = 60
PING_SOURCE_LABEL = "Ping"


class HeartbeatPort(Protocol):
    def replace_ping_token(
        self, system_id: str, configuration_id: str, token_hash: str, *, previous_hash: str | None
    ) -> None: ...
    def ping_target(self, token_hash: str) -> PingTargetItem | None: ...
    def get_heartbeat(self, system_id: str, configuration_id: str) -> HeartbeatItem | None: ...
    def save_heartbeat(
        self, system_id: str, configuration_id: str, *, deadline: int, started_at: int | None, last_ping: int
    ) -> None: ...
    def move_missed_deadline(
        self, system_id: str, configuration_id: str, *, missed: int, deadline: int
    ) -> bool: ...
    def schedule_deadline(self, system_id: str, configuration_id: str, *, deadline: int) -> None: ...
    def take_ping_slot(self, token_hash: str, window: str, *, limit: int, expires_at: int) -> bool: ...


def issue_ping_token(c: Collaborators, system_id: str, configuration_id: str) -> dict:
    """A new ping token for an assigned heartbeat check (shown once; the old one stops working)."""
    assignment = c.repository.get_assignment(system_id, configuration_id)
    if assignment.strategy_id != hb.HEARTBEAT_STRATEGY_ID:
        raise ValidationFailedError(
            "not a heartbeat check",
            [{"field": "path.configurationId", "message": "only heartbeat checks take pings"}],
        )
    previous = c.repository.get_heartbeat(system_id, configuration_id) or HeartbeatItem()
    token = hb.new_ping_token()
    c.repository.replace_ping_token(
        system_id, configuration_id, hb.hash_ping_token(token), previous_hash=previous.token_hash
    )
    return {"systemId": system_id, "configurationId": configuration_id, "token": token}


def receive_ping(c: Collaborators, token: str, ping: hb.Ping, body: bytes) -> dict:
    """Take one ping: record its run (a late one records the missed deadline first), set the next deadline."""
    token_hash = hb.hash_ping_token(token)
    target = c.repository.ping_target(token_hash)
    if target is None:
        raise NotFoundError("unknown ping token")
    now = c.clock()
    _admit(c, token_hash, now)
    system_id, configuration_id = target.system_id, target.configuration_id
    c.repository.get_assignment(system_id, configuration_id)  # NotFoundError once unassigned
    configuration = c.repository.get_configuration(configuration_id)
    schedule = heartbeat_schedule(configuration.config)
    at = int(now.timestamp())
    state = c.repository.get_heartbeat(system_id, configuration_id) or HeartbeatItem()
    deadline, started_at = state.deadline, state.started_at
    if deadline is not None and deadline < at:
        record_run(c, missed_run(system_id, configuration_id, deadline, started_at))
        started_at = None
    outcome = None
    if ping.finishes:
        outcome = record_run(c, _ping_run(system_id, configuration_id, ping, body, now, started_at))
        next_deadline, open_start = hb.deadline_after_ping(schedule, at), None
    else:
        next_deadline, open_start = hb.deadline_after_start(schedule, at), at
    c.repository.save_heartbeat(
        system_id, configuration_id, deadline=next_deadline, started_at=open_start, last_ping=at
    )
    _schedule(c, system_id, configuration_id, next_deadline)
    return {
        "ok": True,
        "recorded": outcome.outcome if outcome else "started",
        "deadline": format_timestamp(datetime.fromtimestamp(next_deadline, UTC)),
    }


def check_deadline(c: Collaborators, system_id: str, configuration_id: str, deadline: int) -> RecordOutcome:
    """The scheduler's deadline check: record the missed run if the deadline still stands, then
    move on to the next deadline; a deadline a ping already moved is dropped (and re-indexed)."""
    state = c.repository.get_heartbeat(system_id, configuration_id)
    if state is None or state.deadline is None:
        return RecordOutcome("dropped")  # never pinged: nothing is expected yet
    if state.deadline != deadline or c.clock().timestamp() < deadline:
        # Moved by a ping, or delivered early: put the standing deadline back in the deadline index.
        _schedule(c, system_id, configuration_id, state.deadline)
        return RecordOutcome("dropped")
    outcome = record_run(c, missed_run(system_id, configuration_id, deadline, state.started_at))
    configuration = c.repository.get_configuration(configuration_id)
    following = hb.deadline_after_miss(heartbeat_schedule(configuration.config), deadline)
    if c.repository.move_missed_deadline(system_id, configuration_id, missed=deadline, deadline=following):
        _schedule(c, system_id, configuration_id, following)
    return outcome


def missed_run(system_id: str, configuration_id: str, deadline: int, started_at: int | None) -> RunInput:
    """The unhealthy run recorded when a heartbeat's deadline passes without a ping."""
    return RunInput(
        run_id=hb.deadline_run_id(system_id, configuration_id, deadline),
        system_id=system_id,
        configuration_id=configuration_id,
        source_id=LOCAL_SOURCE_ID,
        source_label=PING_SOURCE_LABEL,
        status="unhealthy",
        latency_ms=None,
        timestamp=format_timestamp(datetime.fromtimestamp(deadline, UTC)),
        result={"kind": "missed", "exitCode": None, "durationMs": None, "body": None},
        error=hb.missed_reason(started_at),
    )


def _ping_run(
    system_id: str,
    configuration_id: str,
    ping: hb.Ping,
    body: bytes,
    now: datetime,
    started_at: int | None,
) -> RunInput:
    duration = max(0.0, now.timestamp() - started_at) * 1000 if started_at is not None else None
    text = body[: hb.BODY_LIMIT_BYTES].decode("utf-8", errors="replace") if body else None
    return RunInput(
        run_id=str(uuid.uuid4()),
        system_id=system_id,
        configuration_id=configuration_id,
        source_id=LOCAL_SOURCE_ID,
        source_label=PING_SOURCE_LABEL,
        status="healthy" if ping.healthy else "unhealthy",
        latency_ms=round(duration) if duration is not None else None,
        timestamp=format_timestamp(now),
        result={"kind": ping.kind, "exitCode": ping.exit_code, "durationMs": duration, "body": text},
        error=None if ping.healthy else {"code": "HEARTBEAT_FAILED", "message": "the job reported a failure"},
    )


def _admit(c: Collaborators, token_hash: str, now: datetime) -> None:
    window = now.strftime("%Y%m%dT%H%M")
    if not c.repository.take_ping_slot(
        token_hash,
        window,
        limit=PINGS_PER_MINUTE,
        expires_at=int(now.timestamp()) + 120,
    ):
        raise ThrottledError("too many pings for this token", retry_after_seconds=60 - now.second)


def _schedule(c: Collaborators, system_id: str, configuration_id: str, deadline: int) -> None:
    c.repository.schedule_deadline(system_id, configuration_id, deadline=deadline)
