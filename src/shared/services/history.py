"""Reading what happened: runs, chart history, transitions and analysis feeds (availability:
services/availability.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.domain import aggregates
from shared.domain.errors import ValidationFailedError
from shared.domain.health_views import HistoryView, TransitionView
from shared.domain.models import RunView
from shared.domain.wire import format_timestamp, parse_timestamp
from shared.services.context import Collaborators

HOURLY_TIER_LIMIT = timedelta(days=30)
MAX_RANGE = timedelta(days=1095)


def parse_moment(value: str | None, field: str) -> datetime | None:
    """A query timestamp, or a field error naming the parameter."""
    if value is None:
        return None
    try:
        moment = parse_timestamp(value)
    except ValueError as error:
        raise ValidationFailedError(
            f"{field} is not an ISO 8601 timestamp",
            [{"field": f"query.{field}", "message": "expected ISO 8601, e.g. 2026-01-01T00:00:00Z"}],
        ) from error
    return moment


def time_range(
    c: Collaborators, start: str | None, end: str | None, *, default: timedelta
) -> tuple[datetime, datetime]:
    """The [from, to] of a history query, defaulting to the last `default`."""
    until = parse_moment(end, "to") or c.clock()
    since = parse_moment(start, "from") or until - default
    if since >= until:
        raise ValidationFailedError(
            "from must be before to", [{"field": "query.from", "message": "must be before to"}]
        )
    if until - since > MAX_RANGE:
        raise ValidationFailedError(
            "the range is too long", [{"field": "query.from", "message": "at most 1095 days"}]
        )
    return since, until


def _require_system(c: Collaborators, system_id: str) -> None:
    c.repository.get_system(system_id)


def list_runs(
    c: Collaborators,
    system_id: str,
    configuration_id: str,
    *,
    start: str | None,
    end: str | None,
    source: str | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> dict:
    """A page of a check's runs, newest first, filtered by source and status."""
    _require_system(c, system_id)
    since, until = time_range(c, start, end, default=timedelta(days=30))
    page = c.repository.list_runs(
        system_id,
        configuration_id,
        start=format_timestamp(since),
        end=format_timestamp(until),
        source=source,
        status=status,
        limit=limit,
        cursor=cursor,
    )
    return {"items": [RunView.model_validate(i) for i in page.items], "next_cursor": page.next_cursor}


def history(
    c: Collaborators,
    system_id: str,
    configuration_id: str,
    *,
    start: str | None,
    end: str | None,
    points: int,
    source: str | None,
) -> HistoryView:
    """Chart buckets merged from hourly aggregates (ranges up to 30 days) or daily ones, in UTC."""
    _require_system(c, system_id)
    since, until = time_range(c, start, end, default=timedelta(days=1))
    tier, tier_seconds = (
        ("hourly", aggregates.HOUR_SECONDS)
        if until - since <= HOURLY_TIER_LIMIT
        else ("daily", aggregates.DAY_SECONDS)
    )
    floor = aggregates.hour_start(since) if tier == "hourly" else aggregates.day_start(since)
    items = c.repository.list_aggregates(
        tier,
        system_id,
        configuration_id,
        start=aggregates.bucket_key(floor),
        end=format_timestamp(until),
        source=source,
    )
    stored = [(aggregates.parse_bucket_key(item["start"]), item) for item in items]
    bucket_seconds, buckets = aggregates.downsample(stored, since, until, points, tier_seconds)
    return HistoryView.model_validate({"bucketSeconds": bucket_seconds, "buckets": buckets})


def list_transitions(
    c: Collaborators, system_id: str, *, start: str | None, end: str | None, limit: int, cursor: str | None
) -> dict:
    """A page of a system's health transitions."""
    _require_system(c, system_id)
    since, until = time_range(c, start, end, default=timedelta(days=365))
    page = c.repository.list_transitions(
        system_id, start=format_timestamp(since), end=format_timestamp(until), limit=limit, cursor=cursor
    )
    return {"items": [TransitionView.model_validate(i) for i in page.items], "next_cursor": page.next_cursor}


def analysis_runs(
    c: Collaborators, *, since: str | None, limit_per_assignment: int, cursor: str | None
) -> dict:
    """Recent runs per assignment for anomaly detection, paged over assignments."""
    start = parse_moment(since, "since") or c.clock() - timedelta(days=1)
    page = c.repository.list_assignments_page(limit=25, cursor=cursor)
    items = []
    for assignment in page.items:
        runs = c.repository.list_runs(
            assignment["systemId"],
            assignment["configurationId"],
            start=format_timestamp(start),
            end=format_timestamp(c.clock()),
            source=None,
            status=None,
            limit=limit_per_assignment,
            cursor=None,
        )
        items.append(
            {
                "systemId": assignment["systemId"],
                "configurationId": assignment["configurationId"],
                "runs": [
                    {
                        "status": r["status"],
                        "latencyMs": r.get("latencyMs"),
                        "result": r.get("result", {}),
                        "timestamp": r["timestamp"],
                    }
                    for r in runs.items
                ],
            }
        )
    return {"items": items, "nextCursor": page.next_cursor}
