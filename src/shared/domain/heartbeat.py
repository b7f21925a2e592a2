"""Heartbeat (dead-man's-switch) monitors: when the next ping is due, what a ping means, and the
token a job pings with (pure; the token is kept only as its hash)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from shared.domain.schedule import RUN_ID_NAMESPACE

HEARTBEAT_STRATEGY_ID = "heartbeat"
BODY_LIMIT_BYTES = 10 * 1024
TOKEN_PREFIX = "hb_"
DEADLINE_RECHECK_SECONDS = 3600

PingKind = Literal["success", "start", "fail", "exit"]


@dataclass(frozen=True)
class HeartbeatSchedule:
    """Every `period_seconds`, or at each fire of `cron` in `time_zone`; late after `grace_seconds`."""

    grace_seconds: int
    period_seconds: int | None = None
    cron: str | None = None
    time_zone: str = "UTC"


def _next_expected(config: HeartbeatSchedule, after: int) -> int:
    """When the job is next expected after `after` (epoch seconds)."""
    if config.period_seconds is not None:
        return after + config.period_seconds
    from croniter import croniter

    # Iterate on the wall clock, not on instants: a fire time that repeats when the clocks go back
    # is one expected run, as cron runs it, not two.
    zone = ZoneInfo(config.time_zone)
    wall = datetime.fromtimestamp(after, zone).replace(tzinfo=None)
    following = croniter(config.cron, wall).get_next(datetime)
    return int(following.replace(tzinfo=zone).timestamp())


def deadline_after_ping(config: HeartbeatSchedule, at: int) -> int:
    """The deadline a finished (or first) ping at `at` sets: next expected time plus grace."""
    return _next_expected(config, at) + config.grace_seconds


def deadline_after_start(config: HeartbeatSchedule, at: int) -> int:
    """A started job must finish within grace."""
    return at + config.grace_seconds


def deadline_after_miss(config: HeartbeatSchedule, missed: int) -> int:
    """The deadline after a missed one: the next expected time after the one that was missed."""
    return _next_expected(config, missed - config.grace_seconds) + config.grace_seconds


def deadline_run_id(system_id: str, configuration_id: str, deadline: int) -> str:
    """One run per missed deadline, whoever notices it first (the deadline check or a late ping)."""
    return str(uuid.uuid5(RUN_ID_NAMESPACE, f"{system_id}/{configuration_id}/deadline/{deadline}"))


@dataclass(frozen=True)
class Ping:
    kind: PingKind
    exit_code: int | None = None

    @property
    def finishes(self) -> bool:
        return self.kind != "start"

    @property
    def healthy(self) -> bool:
        return self.kind == "success" or (self.kind == "exit" and self.exit_code == 0)


def parse_ping(suffix: str | None) -> Ping | None:
    """`/ping/{token}[/{suffix}]`: none is success, `start`, `fail`, or an exit code 0-255."""
    if not suffix:
        return Ping("success")
    if suffix in ("start", "fail"):
        return Ping(suffix)
    if suffix.isdigit() and int(suffix) <= 255:
        return Ping("exit", int(suffix))
    return None


def new_ping_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(24)


def hash_ping_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def missed_reason(started_at: int | None) -> dict:
    if started_at is not None:
        return {"code": "HEARTBEAT_NOT_FINISHED", "message": "started but did not finish within grace"}
    return {"code": "HEARTBEAT_LATE", "message": "no ping before the deadline"}
