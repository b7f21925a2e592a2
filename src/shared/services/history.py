"""Reading what happened: runs, chart history, transitions and analysis feeds (availability:
services/availability.py)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta

from shared.domain import aggregates, history_plan
from shared.domain.catalog_items import AssignmentItem
from shared.domain.errors import NotFoundError, ValidationFailedError
from shared.domain.health_views import HistoryView, TransitionView
from shared.domain.history_items import RunItem
from shared.domain.models import RunView
from shared.domain.wire import format_timestamp, parse_timestamp
from shared.services import rollup
from shared.services.context import Collaborators

MAX_RANGE = timedelta(days=1095)
# A run is filed (keyed) under its request's time (its scheduled slot), never after it ran, and
# runs within this long of it; raw reads look back this far and keep the runs by when they ran.
FILING_LAG = timedelta(minutes=10)


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
    since = max(since, _history_since(c, system_id, configuration_id) or since)
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
    return {
        "items": [RunView.model_validate(i.to_item()) for i in page.items],
        "next_cursor": page.next_cursor,
    }


def _history_since(c: Collaborators, system_id: str, configuration_id: str) -> datetime | None:
    """Where a re-created check's own history starts (what is older is its predecessor's)."""
    try:
        since = c.repository.get_assignment(system_id, configuration_id).history_since
    except NotFoundError:
        return None
    return parse_timestamp(since) if since else None


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
    """Chart buckets over exactly [from, to), each part read from the tier retention kept (UTC)."""
    _require_system(c, system_id)
    since, until = time_range(c, start, end, default=timedelta(days=1))
    now = c.clock()
    try:
        assignment = c.repository.get_assignment(system_id, configuration_id)
    except NotFoundError:
        assignment = None
    width = history_plan.bucket_width(since, until, points)
    edges = history_plan.bucket_edges(since, until, width)
    coverage = history_plan.coverage_of(
        assignment, now, daily_until=_daily_until(c, system_id, configuration_id, assignment, now)
    )
    spans = history_plan.plan_spans(since, until, width, coverage, open_ended=until >= now)
    starts = [bucket_start for bucket_start, _ in edges]
    totals: list[dict] = [{} for _ in edges]
    for moment, counters in _stored_units(c, system_id, configuration_id, spans, source):
        index = history_plan.bucket_index(starts, moment)
        totals[index] = aggregates.merge_items((totals[index], counters))
    buckets = [aggregates.summarize(t, s, e) for t, (s, e) in zip(totals, edges, strict=True)]
    return HistoryView.model_validate({"bucketSeconds": width, "buckets": buckets})


def _daily_until(
    c: Collaborators, system_id: str, configuration_id: str, assignment: AssignmentItem | None, now: datetime
) -> datetime | None:
    """Where the daily tier stops being complete: days not rolled up yet are read from hourly items."""
    if assignment is None:
        return None
    return rollup.first_unrolled(c.repository.get_check_state(system_id, configuration_id), assignment, now)


def _stored_units(
    c: Collaborators,
    system_id: str,
    configuration_id: str,
    spans: list[history_plan.Span],
    source: str | None,
) -> Iterator[tuple[datetime, Mapping]]:
    """(start, counters) of every aggregate item and raw run the plan reads, each exactly once."""
    for tier in ("hourly", "daily"):
        wanted = {aggregates.bucket_key(s.start) for s in spans if s.tier == tier}
        if not wanted:
            continue
        items = c.repository.list_aggregates(
            tier, system_id, configuration_id, start=min(wanted), end=max(wanted), source=source
        )
        yield from ((aggregates.parse_bucket_key(i.start), i.counters()) for i in items if i.start in wanted)
    for span in (s for s in spans if s.tier == "raw"):
        for run in _runs_between(c, system_id, configuration_id, span.start, span.end, source):
            moment = parse_timestamp(run.timestamp)
            if span.start <= moment < span.end:
                yield moment, aggregates.run_increments(run.status, run.latency_ms)


def _runs_between(
    c: Collaborators,
    system_id: str,
    configuration_id: str,
    since: datetime,
    until: datetime,
    source: str | None,
) -> Iterator[RunItem]:
    cursor = None
    while True:
        page = c.repository.list_runs(
            system_id,
            configuration_id,
            start=format_timestamp(since - FILING_LAG),
            end=format_timestamp(until),
            source=source,
            status=None,
            limit=1000,
            cursor=cursor,
        )
        yield from page.items
        if not page.next_cursor:
            return
        cursor = page.next_cursor


def list_transitions(
    c: Collaborators, system_id: str, *, start: str | None, end: str | None, limit: int, cursor: str | None
) -> dict:
    """A page of a system's health transitions."""
    _require_system(c, system_id)
    since, until = time_range(c, start, end, default=timedelta(days=365))
    page = c.repository.list_transitions(
        system_id, start=format_timestamp(since), end=format_timestamp(until), limit=limit, cursor=cursor
    )
    return {
        "items": [TransitionView.model_validate(i.to_item()) for i in page.items],
        "next_cursor": page.next_cursor,
    }
