"""The public shapes of API.md as pydantic v2 models.

Requests (`<Noun>Create`, `<Noun>Patch`) reject unknown fields; views (`<Noun>View`) are what the API
answers (health and history ones in `health_views.py`); the shared vocabulary is in `wire.py`.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shared.domain.assertions import source_problem, value_problem
from shared.domain.secret_fields import redact_secrets
from shared.domain.storable import storable
from shared.domain.wire import (  # noqa: F401  (ID_PATTERN and the timestamp helpers: older importers)
    ID_PATTERN,
    AssertionOperator,
    Description,
    HealthStatus,
    Name,
    ResourceId,
    Role,
    RunStatus,
    Tag,
    Timestamp,
    format_timestamp,
    parse_timestamp,
)
from shared.domain.wire import RequestModel as _Request
from shared.domain.wire import WireModel as _Model

StorableJson = Annotated[Any, AfterValidator(storable)]
"""Any JSON value DynamoDB can store as it is (no NaN, 38 digits, 32 levels)."""


def _whole_milliseconds(value: Any) -> Any:
    return round(value) if isinstance(value, float) and math.isfinite(value) else value


Milliseconds = Annotated[int, BeforeValidator(_whole_milliseconds)]
"""API.md: durations are integers; fractional milliseconds (from older runs or satellites) round."""

# --- systems ---------------------------------------------------------------------------------


class SystemCreate(_Request):
    id: ResourceId | None = None
    name: Name
    description: Description = ""
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    depends_on: list[ResourceId] = Field(default_factory=list, max_length=20)


class SystemPatch(_Request):
    name: Name | None = None
    description: Description | None = None
    tags: list[Tag] | None = Field(None, max_length=50)
    depends_on: list[ResourceId] | None = Field(None, max_length=20)


class SystemView(_Model):
    id: str
    name: str
    description: str
    tags: list[str]
    depends_on: list[str] = Field(default_factory=list)
    created_at: Timestamp
    updated_at: Timestamp
    version: int


# --- configurations --------------------------------------------------------------------------


AssertionSource = Annotated[
    str, StringConstraints(pattern=r"^(status|latencyMs|result\..+)$", max_length=500)
]


class AssertionView(_Model):
    """An assertion as stored and answered (not re-validated: rules may have tightened since)."""

    source: str
    operator: str
    value: Any = None


class Assertion(_Request):
    source: AssertionSource
    operator: AssertionOperator
    value: StorableJson = None

    @field_validator("source")
    @classmethod
    def _source_evaluable(cls, source: str) -> str:
        problem = source_problem(source)
        if problem is not None:
            raise ValueError(problem)
        return source

    @field_validator("value")
    @classmethod
    def _value_evaluable(cls, value: Any, info: ValidationInfo) -> Any:
        problem = value_problem(info.data.get("operator", ""), value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _value_where_needed(self) -> Assertion:
        if self.operator not in ("exists", "notExists") and self.value is None:
            raise ValueError(f"operator {self.operator} needs a value")
        if self.operator == "in" and not isinstance(self.value, list):
            raise ValueError("operator in needs a list value")
        return self


DEFAULT_TIMEOUT_SECONDS = 10


class ConfigurationCreate(_Request):
    id: ResourceId | None = None
    name: Name
    strategy_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    config: dict[str, StorableJson]
    interval_seconds: int = Field(ge=10, le=86400)
    timeout_seconds: int | None = Field(
        None,
        ge=1,
        le=60,
        validate_default=True,
        description=f"Default: min({DEFAULT_TIMEOUT_SECONDS}, intervalSeconds - 1)",
    )
    assertions: list[Assertion] = Field(default_factory=list, max_length=50)

    @field_validator("timeout_seconds")
    @classmethod
    def _timeout_below_interval(cls, timeout: int | None, info: ValidationInfo) -> int | None:
        interval = info.data.get("interval_seconds")
        if interval is None:
            return timeout
        if timeout is None:
            return min(DEFAULT_TIMEOUT_SECONDS, interval - 1)
        if timeout >= interval:
            raise ValueError("timeoutSeconds must be below intervalSeconds")
        return timeout


class ConfigurationPatch(_Request):
    name: Name | None = None
    strategy_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    config: dict[str, StorableJson] | None = None
    interval_seconds: int | None = Field(None, ge=10, le=86400)
    timeout_seconds: int | None = Field(None, ge=1, le=60)
    assertions: list[Assertion] | None = Field(None, max_length=50)


class ConfigurationView(_Model):
    id: str
    name: str
    strategy_id: str
    config: Annotated[dict[str, Any], AfterValidator(redact_secrets)]
    interval_seconds: int
    timeout_seconds: int
    assertions: list[AssertionView]
    paused: bool
    created_at: Timestamp
    updated_at: Timestamp
    version: int


# --- maintenance -----------------------------------------------------------------------


class MaintenanceCreate(_Request):
    title: Name
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    suppress_notifications: bool = True

    @model_validator(mode="after")
    def _ends_after_start(self) -> MaintenanceCreate:
        if self.ends_at <= self.starts_at:
            raise ValueError("endsAt must be after startsAt")
        return self


class MaintenanceView(_Model):
    id: str
    system_id: str
    title: str
    starts_at: Timestamp
    ends_at: Timestamp
    suppress_notifications: bool
    created_at: Timestamp


# --- runs -------------------------------------------------------------------


class AssertionOutcome(_Model):
    source: str
    operator: str
    value: Any = None
    actual: Any = None
    passed: bool


class RunView(_Model):
    run_id: str
    system_id: str
    configuration_id: str
    source_id: str
    source_label: str
    status: RunStatus
    latency_ms: Milliseconds | None
    result: dict[str, Any]
    assertions: list[AssertionOutcome]
    error: dict[str, Any] | None
    timestamp: Timestamp


HEALTH_BATCH_LIMIT = 1000


class HealthBatchRequest(_Request):
    # Over the limit is 413 (API.md: "batch over its limit"), checked by the route, not a 422 from here.
    system_ids: list[ResourceId] = Field(min_length=1, json_schema_extra={"maxItems": HEALTH_BATCH_LIMIT})


T = TypeVar("T")


class Page(_Model, Generic[T]):
    items: list[T]
    next_cursor: str | None = None
