"""The vocabulary every wire model shares: ids, statuses, timestamps and the two model bases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, PlainSerializer, StringConstraints
from pydantic.alias_generators import to_camel

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"

HealthStatus = Literal["healthy", "degraded", "unhealthy", "unknown"]
RunStatus = Literal["healthy", "degraded", "unhealthy"]
Role = Literal["reader", "manager", "service"]
AssertionOperator = Literal[
    "eq",
    "ne",
    "lt",
    "lte",
    "gt",
    "gte",
    "contains",
    "notContains",
    "startsWith",
    "endsWith",
    "matches",
    "exists",
    "notExists",
    "in",
]

LOCAL_SOURCE_ID = "local"
LOCAL_SOURCE_LABEL = "Local"


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 UTC with a `Z`, millisecond precision: sortable as a string."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


Timestamp = Annotated[AwareDatetime, PlainSerializer(format_timestamp, return_type=str)]
ResourceId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Description = Annotated[str, StringConstraints(max_length=2000)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class WireModel(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown fields ignored (answers, stored items)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class RequestModel(WireModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")
