"""Status pages: what a manager configures, and the view model a page is rendered from (pure)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from shared.domain.wire import HealthStatus, Name, ResourceId, Timestamp
from shared.domain.wire import RequestModel as _Request
from shared.domain.wire import WireModel as _Model

STATUS_PAGE_SYSTEM_LIMIT = 200
BAR_DAYS = 90
GroupName = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]


class StatusPageShow(_Request):
    """Which details a page shows besides each system's current status."""

    checks: bool = False
    availability: bool = True
    latency: bool = True
    maintenance: bool = True
    incidents: bool = True


class StatusPageSystem(_Request):
    system_id: ResourceId
    group: GroupName | None = None
    label: Name | None = None


def _unique_systems(systems: list[StatusPageSystem] | None) -> None:
    if systems is not None and len({s.system_id for s in systems}) != len(systems):
        raise ValueError("a system is listed twice")


class StatusPageCreate(_Request):
    slug: ResourceId
    title: Name
    systems: list[StatusPageSystem] = Field(min_length=1, max_length=STATUS_PAGE_SYSTEM_LIMIT)
    public: bool = True
    show: StatusPageShow = Field(default_factory=StatusPageShow)

    @model_validator(mode="after")
    def _systems_once(self) -> StatusPageCreate:
        _unique_systems(self.systems)
        return self


class StatusPagePatch(_Request):
    title: Name | None = None
    systems: list[StatusPageSystem] | None = Field(None, min_length=1, max_length=STATUS_PAGE_SYSTEM_LIMIT)
    public: bool | None = None
    show: StatusPageShow | None = None

    @model_validator(mode="after")
    def _systems_once(self) -> StatusPagePatch:
        _unique_systems(self.systems)
        return self


class StatusPageView(_Model):
    slug: str
    title: str
    systems: list[StatusPageSystem]
    public: bool
    show: StatusPageShow
    created_at: Timestamp
    updated_at: Timestamp
    version: int


# --- what a rendered page shows ---------------------------------------------------------------


class DayBar(_Model):
    day: str  # YYYY-MM-DD (UTC)
    availability: float | None  # None: no runs that day
    run_count: int
    unhealthy_count: int


class LatencyPoint(_Model):
    hour: Timestamp
    avg_ms: float | None
    p95_ms: float | None


class PageMaintenance(_Model):
    title: str
    starts_at: Timestamp
    ends_at: Timestamp
    active: bool


class PageCheck(_Model):
    name: str
    status: HealthStatus


class PageIncident(_Model):
    system_id: str
    title: str
    status: str
    started_at: Timestamp
    resolved_at: Timestamp | None = None


class PageSystem(_Model):
    system_id: str
    name: str
    group: str | None
    status: HealthStatus
    since: Timestamp | None
    checks: list[PageCheck] = Field(default_factory=list)
    days: list[DayBar] = Field(default_factory=list)
    availability_90d: float | None = Field(None, alias="availability90d")
    latency_24h: list[LatencyPoint] = Field(default_factory=list, alias="latency24h")
    maintenances: list[PageMaintenance] = Field(default_factory=list)


class StatusPageRendered(_Model):
    """The JSON twin of `/status/{slug}` and the input of its HTML."""

    slug: str
    title: str
    status: HealthStatus
    generated_at: Timestamp
    show: StatusPageShow
    systems: list[PageSystem]
    incidents: list[PageIncident] | None = None  # None: no incidents reader in this deployment


SEVERITY = {"unhealthy": 3, "degraded": 2, "unknown": 1, "healthy": 0}


def overall_status(statuses: list[str]) -> str:
    """The page's headline: its worst system, unknown only when nothing is known."""
    known = [s for s in statuses if s != "unknown"]
    if not known:
        return "unknown"
    return max(known, key=lambda s: SEVERITY[s])


def day_availability(healthy: int, degraded: int, unhealthy: int) -> float | None:
    """A day's share of good runs (degraded counts as up), None without runs."""
    total = healthy + degraded + unhealthy
    return (healthy + degraded) / total if total else None
