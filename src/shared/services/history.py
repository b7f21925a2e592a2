"""Reading what happened: runs, chart history, transitions, availability and analysis feeds."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta

from shared.domain import aggregates, history_plan
from shared.domain.availability import availability as availability_of
from shared.domain.availability import window_bounds
from shared.domain.errors import NotFoundError, ValidationFailedError
from shared.domain.health_views import AvailabilityView, HistoryView, TransitionView
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
    return {"items": [RunView.model_validate(i) for i in page.items], "next_cursor": page.next_cursor}


def _history_since(c: Collaborators, system_id: str, configuration_id: str) -> datetime | None:
    """Where a re-created check's own history starts (what is older is its predecessor's)."""
    try:
        since = c.repository.get_assignment(system_id, configuration_id).get("historySince")
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
    spans = history_plan.plan_spans(
        since, until, width, history_plan.coverage_of(assignment, now), open_ended=until >= now
    )
    starts = [bucket_start for bucket_start, _ in edges]
    totals: list[dict] = [{} for _ in edges]
    for moment, counters in _stored_units(c, system_id, configuration_id, spans, source):
        index = history_plan.bucket_index(starts, moment)
        totals[index] = aggregates.merge_items((totals[index], counters))
    buckets = [aggregates.summarize(t, s, e) for t, (s, e) in zip(totals, edges, strict=True)]
    return HistoryView.model_validate({"bucketSeconds": width, "buckets": buckets})


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
        yield from ((aggregates.parse_bucket_key(i["start"]), i) for i in items if i["start"] in wanted)
    for span in (s for s in spans if s.tier == "raw"):
        for run in _runs_between(c, system_id, configuration_id, span.start, span.end, source):
            moment = parse_timestamp(run["timestamp"])
            if span.start <= moment < span.end:
                yield moment, aggregates.run_increments(run["status"], run.get("latencyMs"))


def _runs_between(
    c: Collaborators,
    system_id: str,
    configuration_id: str,
    since: datetime,
    until: datetime,
    source: str | None,
) -> Iterator[dict]:
    cursor = None
    while True:
        page = c.repository.list_runs(
            system_id,
            configuration_id,
            start=format_timestamp(since),
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
    return {"items": [TransitionView.model_validate(i) for i in page.items], "next_cursor": page.next_cursor}


def availability(
    c: Collaborators, system_id: str, *, start: str | None, end: str | None, window: str | None
) -> AvailabilityView:
    """Uptime from the system's transitions (maintenance counted apart) and per-check success rates."""
    snapshot = c.repository.system_snapshot(system_id)
    if snapshot["system"] is None:
        raise NotFoundError(f"system {system_id} not found")
    if window:
        since, until = window_bounds(window, c.clock())
    else:
        since, until = time_range(c, start, end, default=timedelta(days=30))
    since_text, until_text = format_timestamp(since), format_timestamp(until)
    before = c.repository.last_transition_before(system_id, since_text)
    transitions = []
    cursor = None
    while True:
        page = c.repository.list_transitions(
            system_id, start=since_text, end=until_text, limit=500, cursor=cursor, newest_first=False
        )
        transitions += [(parse_timestamp(t["at"]), t["newStatus"]) for t in page.items]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    maintenances = [
        (parse_timestamp(m["startsAt"]), parse_timestamp(m["endsAt"])) for m in snapshot["maintenances"]
    ]
    totals = availability_of(
        transitions, before["newStatus"] if before else "unknown", maintenances, since, until
    )
    tier = "hourly" if until - since <= HOURLY_TIER_LIMIT else "daily"
    checks = []
    for assignment in snapshot["assignments"]:
        items = c.repository.list_aggregates(
            tier, system_id, assignment["configurationId"], start=since_text[:13], end=until_text, source=None
        )
        merged = aggregates.merge_items(items)
        runs = merged.get("runCount", 0)
        checks.append(
            {
                "configurationId": assignment["configurationId"],
                "availability": merged.get("healthyCount", 0) / runs if runs else None,
            }
        )
    return AvailabilityView.model_validate(
        totals | {"systemId": system_id, "from": since, "to": until, "checks": checks}
    )
