"""The remaining answers of API.md as models: lists, wrappers and the error shape. They describe the
API in its OpenAPI document; the routes answer exactly these shapes."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from shared.domain.access_models import ApiKeyView, SatelliteView
from shared.domain.assignment_models import AssignmentView
from shared.domain.health_views import (
    SystemHealthView,
    TransitionView,
)
from shared.domain.models import (
    AssertionView,
    ConfigurationView,
    MaintenanceView,
    Milliseconds,
    Page,
    RunStatus,
    RunView,
    SystemView,
    _Model,
)
from shared.domain.status_pages import StatusPageView


class ErrorDetail(_Model):
    field: str
    message: str


class ErrorBody(_Model):
    code: str = Field(examples=["VALIDATION_FAILED"])
    message: str
    details: list[ErrorDetail]


class ErrorView(_Model):
    """API.md's one error shape, for every status from 400 to 503."""

    error: ErrorBody


class SystemPage(Page[SystemView]):
    pass


class ConfigurationPage(Page[ConfigurationView]):
    pass


class RunPage(Page[RunView]):
    pass


class TransitionPage(Page[TransitionView]):
    pass


class ApiKeyPage(Page[ApiKeyView]):
    pass


class SatellitePage(Page[SatelliteView]):
    pass


class MaintenanceList(Page[MaintenanceView]):
    pass


class AssignmentList(_Model):
    items: list[AssignmentView]


class StrategyView(_Model):
    id: str
    display_name: str
    description: str
    config_schema: dict[str, Any]
    result_schema: dict[str, Any]


class StrategyList(_Model):
    items: list[StrategyView]


class HealthBatchView(_Model):
    statuses: dict[str, SystemHealthView]
    not_found: list[str]


class RunRequested(_Model):
    run_requested_at: str


class AnalysisRun(_Model):
    status: RunStatus
    latency_ms: Milliseconds | None
    result: dict[str, Any]
    timestamp: str


class AnalysisAssignmentRuns(_Model):
    system_id: str
    configuration_id: str
    runs: list[AnalysisRun]


class AnalysisRunsView(Page[AnalysisAssignmentRuns]):
    pass


class SatelliteAssignment(_Model):
    system_id: str
    configuration_id: str
    strategy_id: str
    config: dict[str, Any]
    assertions: list[AssertionView]
    interval_seconds: int
    timeout_seconds: int


class SatelliteAssignmentList(_Model):
    items: list[SatelliteAssignment]


class RejectedResult(_Model):
    result_id: str
    code: str
    message: str


class IngestReportView(_Model):
    accepted: list[str]
    duplicates: list[str]
    rejected: list[RejectedResult]


class PingAnswer(_Model):
    ok: bool
    recorded: str
    deadline: str


class StatusPageList(Page[StatusPageView]):
    pass


class PingTokenIssued(_Model):
    system_id: str
    configuration_id: str
    token: str
