"""Heartbeat check: the job pings us (`/ping/{token}`); nothing is probed. Its config says when
pings are due; runs are recorded by pings and by the scheduler's deadline checks."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, model_validator

from shared.domain.heartbeat import HEARTBEAT_STRATEGY_ID, HeartbeatSchedule
from shared.strategies.schema import StrategyConfig, StrategyResult, chart, latency_field
from shared.strategies.strategy import ProbeError, Strategy


class HeartbeatConfig(StrategyConfig):
    period_seconds: int | None = Field(None, ge=10, le=31 * 86400, description="Expected every N seconds")
    cron: str | None = Field(None, min_length=9, max_length=200, description="Or expected on this cron")
    time_zone: str = Field("UTC", max_length=64, description="Time zone of the cron expression")
    grace_seconds: int = Field(60, ge=1, le=7 * 86400, description="How late a ping may be")

    @model_validator(mode="after")
    def _one_schedule(self) -> HeartbeatConfig:
        if (self.period_seconds is None) == (self.cron is None):
            raise ValueError("set exactly one of periodSeconds and cron")
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.time_zone!r}") from None
        if self.cron is not None:
            from croniter import croniter

            if not croniter.is_valid(self.cron):
                raise ValueError(f"not a cron expression: {self.cron!r}")
        return self

    def schedule(self) -> HeartbeatSchedule:
        return HeartbeatSchedule(self.grace_seconds, self.period_seconds, self.cron, self.time_zone)


class HeartbeatResult(StrategyResult):
    kind: str = Field(json_schema_extra=chart("text", "Ping"))
    exit_code: int | None = Field(None, json_schema_extra=chart("counter", "Exit code"))
    duration_ms: float | None = latency_field("Duration", description="From the start ping to the finish")
    body: str | None = Field(None, json_schema_extra=chart("text", "Body (first 10 KB)"))


def judge_heartbeat(config: HeartbeatConfig, result: dict[str, Any]) -> ProbeError | None:
    if result.get("kind") in ("fail", "missed") or result.get("exitCode") not in (None, 0):
        return {"code": "HEARTBEAT_FAILED", "message": "the job reported a failure or did not ping"}
    return None


async def probe_heartbeat(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
    raise NotImplementedError("heartbeat checks are pinged, never probed")


HEARTBEAT_STRATEGY = Strategy(
    id=HEARTBEAT_STRATEGY_ID,
    display_name="Heartbeat (cron job)",
    description="The job pings /ping/{token}; a missing or failed ping makes the check unhealthy.",
    config_model=HeartbeatConfig,
    result_model=HeartbeatResult,
    judge=judge_heartbeat,
    latency_field="durationMs",
    probe_reference="shared.strategies.heartbeat_check:probe_heartbeat",
)


def heartbeat_schedule(config: dict[str, Any]) -> HeartbeatSchedule:
    """The schedule of a stored (wire-form) heartbeat config."""
    return HeartbeatConfig.model_validate(config).schedule()
