"""What the API answers about health and history: SystemHealth, transitions, chart buckets
(availability: availability_views.py)."""

from __future__ import annotations

from shared.domain.wire import HealthStatus, Timestamp, WireModel


class SourceHealthView(WireModel):
    source_id: str
    source_label: str
    status: HealthStatus
    last_run_at: Timestamp | None


class CheckHealthView(WireModel):
    configuration_id: str
    configuration_name: str
    status: HealthStatus
    last_run_at: Timestamp | None
    sources: list[SourceHealthView]


class SystemHealthView(WireModel):
    system_id: str
    status: HealthStatus
    evaluated_at: Timestamp
    since: Timestamp
    checks: list[CheckHealthView]


class TransitionView(WireModel):
    system_id: str
    previous_status: HealthStatus
    new_status: HealthStatus
    at: Timestamp
    suppressed: bool


class LatencySummary(WireModel):
    min: float | None
    max: float | None
    avg: float | None
    p50: float | None
    p95: float | None
    p99: float | None


class BucketView(WireModel):
    start: Timestamp
    end: Timestamp
    run_count: int
    healthy_count: int
    degraded_count: int
    unhealthy_count: int
    success_rate: float | None
    latency_ms: LatencySummary


class HistoryView(WireModel):
    bucket_seconds: int
    buckets: list[BucketView]
