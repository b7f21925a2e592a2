"""Assignments of API.md: how a configuration runs on a system (thresholds, quorum, retention)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from shared.domain.wire import HealthStatus, ResourceId, Timestamp
from shared.domain.wire import RequestModel as _Request
from shared.domain.wire import WireModel as _Model


class ConsecutiveThresholds(_Request):
    mode: Literal["consecutive"] = "consecutive"
    degraded_after: int = Field(1, ge=1, le=100)
    unhealthy_after: int = Field(3, ge=1, le=100)
    recover_after: int = Field(1, ge=1, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> ConsecutiveThresholds:
        if self.degraded_after > self.unhealthy_after:
            raise ValueError("degradedAfter must not exceed unhealthyAfter")
        return self


class WindowThresholds(_Request):
    mode: Literal["window"] = "window"
    window_size: int = Field(10, ge=1, le=100)
    degraded_after: int = Field(3, ge=1, le=100)
    unhealthy_after: int = Field(5, ge=1, le=100)
    recover_after: int = Field(1, ge=1, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> WindowThresholds:
        if self.degraded_after > self.unhealthy_after:
            raise ValueError("degradedAfter must not exceed unhealthyAfter")
        if self.unhealthy_after > self.window_size:
            raise ValueError("unhealthyAfter must not exceed windowSize")
        return self


StateThresholds = Annotated[ConsecutiveThresholds | WindowThresholds, Field(discriminator="mode")]


class Quorum(_Request):
    mode: Literal["any", "majority", "all"] = "any"


class Retention(_Request):
    raw_days: int = Field(7, ge=1, le=30)
    hourly_days: int = Field(30, ge=7, le=90)
    daily_days: int = Field(365, ge=30, le=1095)

    @model_validator(mode="after")
    def _increasing(self) -> Retention:
        if not self.raw_days < self.hourly_days < self.daily_days:
            raise ValueError("rawDays < hourlyDays < dailyDays must hold")
        return self


class AssignmentPut(_Request):
    enabled: bool = True
    state_thresholds: StateThresholds = Field(default_factory=ConsecutiveThresholds)
    satellite_ids: list[ResourceId] = Field(default_factory=list, max_length=50)
    include_local: bool = True
    quorum: Quorum = Field(default_factory=Quorum)
    retention: Retention = Field(default_factory=Retention)

    @model_validator(mode="after")
    def _has_a_source(self) -> AssignmentPut:
        if not self.include_local and not self.satellite_ids:
            raise ValueError("an assignment without local runs needs at least one satellite")
        if len(set(self.satellite_ids)) != len(self.satellite_ids):
            raise ValueError("satelliteIds must not repeat")
        return self


class AssignmentView(_Model):
    system_id: str
    configuration_id: str
    configuration_name: str
    strategy_id: str
    enabled: bool
    state_thresholds: StateThresholds
    satellite_ids: list[str]
    include_local: bool
    quorum: Quorum
    retention: Retention
    status: HealthStatus
    last_run_at: Timestamp | None
    version: int
