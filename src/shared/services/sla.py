"""Monthly (or any range's) SLA report of a system and each check: availability, downtime,
incidents, longest outage and p95 latency, as JSON or CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from shared.domain import aggregates
from shared.domain.availability_views import SlaReportView, SlaRow
from shared.domain.errors import NotFoundError, ValidationFailedError
from shared.domain.status_timeline import SpanStats
from shared.domain.wire import format_timestamp
from shared.services.availability import range_stats
from shared.services.context import Collaborators
from shared.services.history import time_range

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
CSV_COLUMNS = (
    "configurationId",
    "configurationName",
    "availability",
    "downtimeMinutes",
    "unknownMinutes",
    "maintenanceMinutes",
    "incidents",
    "longestOutageMinutes",
    "p95LatencyMs",
)


def month_range(month: str) -> tuple[datetime, datetime]:
    """[first instant, first instant of the next month) of `YYYY-MM`, in UTC."""
    match = MONTH.match(month)
    if not match:
        raise ValidationFailedError(
            "month is not YYYY-MM", [{"field": "query.month", "message": "expected YYYY-MM, e.g. 2026-11"}]
        )
    year, number = int(match[1]), int(match[2])
    start = datetime(year, number, 1, tzinfo=UTC)
    end = datetime(year + (number == 12), number % 12 + 1, 1, tzinfo=UTC)
    return start, end


def sla_report(
    c: Collaborators, system_id: str, *, month: str | None, start: str | None, end: str | None
) -> SlaReportView:
    """The report of one month (or of [from, to), default the last 30 days)."""
    if month is not None and (start or end):
        raise ValidationFailedError(
            "month excludes from and to", [{"field": "query.month", "message": "give month, or from and to"}]
        )
    since, until = month_range(month) if month else time_range(c, start, end, default=timedelta(days=30))
    snapshot = c.repository.system_snapshot(system_id)
    if snapshot.system is None:
        raise NotFoundError(f"system {system_id} not found")
    stats = range_stats(c, snapshot, since, until)
    names = {a.configuration_id: a.configuration_name for a in snapshot.assignments}
    latency = {cfg: _latency_item(c, system_id, cfg, since, until) for cfg in sorted(names)}
    return SlaReportView.model_validate(
        {
            "systemId": system_id,
            "systemName": snapshot.system.name,
            "from": since,
            "to": until,
            "system": _row(None, None, stats.system, aggregates.merge_items(latency.values())),
            "checks": [_row(cfg, names[cfg], stats.checks[cfg], latency[cfg]) for cfg in sorted(names)],
        }
    )


def as_csv(report: SlaReportView) -> str:
    """One line per row (the system first, its configurationId empty), the columns of CSV_COLUMNS."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in [report.system, *report.checks]:
        wire = row.to_wire()
        writer.writerow(["" if wire[column] is None else wire[column] for column in CSV_COLUMNS])
    return out.getvalue()


def _row(cfg: str | None, name: str | None, stats: SpanStats, latency: dict) -> SlaRow:
    return SlaRow(
        configuration_id=cfg,
        configuration_name=name,
        availability=stats.availability,
        downtime_minutes=round(stats.down / 60, 3),
        unknown_minutes=round(stats.unknown / 60, 3),
        maintenance_minutes=round(stats.maintenance / 60, 3),
        incidents=stats.incidents,
        longest_outage_minutes=round(stats.longest_down / 60, 3),
        p95_latency_ms=aggregates.latency_summary(latency)["p95"],
    )


def _latency_item(c: Collaborators, system_id: str, cfg: str, since: datetime, until: datetime) -> dict:
    """The check's latency bins over the days the range touches: daily aggregates, or the hourly
    ones of a day that has no daily item (yet)."""
    first, last = aggregates.day_key(since), format_timestamp(until - timedelta(milliseconds=1))
    daily = c.repository.list_aggregates("daily", system_id, cfg, start=first, end=last, source=None)
    covered = {item.start[:10] for item in daily}
    hourly = [
        item
        for item in c.repository.list_aggregates("hourly", system_id, cfg, start=first, end=last, source=None)
        if item.start[:10] not in covered
    ]
    return aggregates.merge_items(item.counters() for item in [*daily, *hourly])
