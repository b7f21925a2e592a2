"""The checks this satellite is assigned, and the ETag that lets it ask "anything new?" cheaply."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from satellite import logs

# The API keeps intervals at 10 s or more; this floor only guards against a zero or negative value.
MIN_INTERVAL_SECONDS = 1.0


class Assignment(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)

    system_id: str
    configuration_id: str
    strategy_id: str
    config: dict[str, Any]
    assertions: list[dict[str, Any]] = Field(default_factory=list)
    interval_seconds: float = Field(ge=MIN_INTERVAL_SECONDS)
    timeout_seconds: float = Field(10, gt=0)

    @property
    def key(self) -> str:
        return f"{self.system_id}/{self.configuration_id}"


def parse_assignments(items: list[dict[str, Any]]) -> list[Assignment]:
    """The valid assignments among `items`; an invalid one is logged and skipped, never fatal."""
    parsed: list[Assignment] = []
    for item in items:
        try:
            parsed.append(Assignment.model_validate(item))
        except ValidationError as error:
            logs.warning(
                "assignment skipped",
                system_id=item.get("systemId") if isinstance(item, dict) else None,
                configuration_id=item.get("configurationId") if isinstance(item, dict) else None,
                errors=error.error_count(),
            )
    return parsed


@dataclass
class AssignmentBook:
    """The current assignments and the ETag they came with."""

    etag: str | None = None
    items: list[dict[str, Any]] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)

    def replace(self, etag: str | None, items: list[dict[str, Any]]) -> None:
        self.etag = etag
        self.items = items
        self.assignments = parse_assignments(items)
