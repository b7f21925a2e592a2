"""One result a satellite pushes, validated on its own: a bad one is rejected with its reason and
never sinks the rest of its batch (nor the store: everything accepted is storable as it is)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from shared.domain.models import Milliseconds, ResourceId, StorableJson


class ProbeErrorReport(BaseModel):
    """What went wrong on the satellite (e.g. `TARGET_FORBIDDEN` from its SSRF guard), stored as sent."""

    model_config = ConfigDict(extra="forbid")
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{0,63}$")]
    message: Annotated[str, StringConstraints(max_length=500)] = ""


class SatelliteResult(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    result_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,128}$")] = Field(
        alias="resultId"
    )
    system_id: ResourceId = Field(alias="systemId")
    configuration_id: ResourceId = Field(alias="configurationId")
    status: Literal["healthy", "degraded", "unhealthy"] | None = None
    latency_ms: Annotated[Milliseconds, Field(ge=0, le=3_600_000)] | None = Field(None, alias="latencyMs")
    result: dict[str, StorableJson] | None = None
    error: ProbeErrorReport | None = None
    executed_at: AwareDatetime = Field(alias="executedAt")

    def reported_error(self) -> dict[str, Any] | None:
        return self.error.model_dump() if self.error is not None else None
