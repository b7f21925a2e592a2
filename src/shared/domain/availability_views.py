"""What the API answers about availability and SLA reports."""

from __future__ import annotations

from pydantic import Field

from shared.domain.status_timeline import SpanStats
from shared.domain.wire import Timestamp, WireModel


class CheckAvailabilityView(WireModel):
    configuration_id: str
    availability: float | None
    uptime_seconds: float
    downtime_seconds: float
    unknown_seconds: float
    maintenance_seconds: float


class SystemAvailabilityView(WireModel):
    system_id: str
    from_: Timestamp = Field(alias="from")
    to: Timestamp
    availability: float | None
    uptime_seconds: float
    downtime_seconds: float
    unknown_seconds: float
    maintenance_seconds: float
    checks: list[CheckAvailabilityView]


class SlaRow(WireModel):
    configuration_id: str | None = Field(description="null for the system row")
    configuration_name: str | None
    availability: float | None
    downtime_minutes: float
    unknown_minutes: float
    maintenance_minutes: float
    incidents: int
    longest_outage_minutes: float
    p95_latency_ms: float | None


class SlaReportView(WireModel):
    system_id: str
    system_name: str
    from_: Timestamp = Field(alias="from")
    to: Timestamp
    system: SlaRow
    checks: list[SlaRow]


def seconds_fields(stats: SpanStats) -> dict:
    """The seconds of an availability answer, rounded to the millisecond the timestamps carry."""
    return {
        "availability": stats.availability,
        "uptimeSeconds": round(stats.up, 3),
        "downtimeSeconds": round(stats.down, 3),
        "unknownSeconds": round(stats.unknown, 3),
        "maintenanceSeconds": round(stats.maintenance, 3),
    }
