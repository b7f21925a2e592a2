"""Which stored tier serves which part of a chart: buckets over exactly [from, to), each time unit
read from one tier only (so tiers that overlap are never counted twice).

The width of the buckets comes from `points` alone; what retention kept decides the tier of each
part. Buckets of an hour or more read whole stored units (a UTC day, a UTC hour) and raw runs only
for the partial hours at the edges; sub-hour buckets read raw runs. Where the finer tiers are gone,
a coarser stored unit lying wholly inside the range counts in the bucket holding its start; parts
of the range that no kept tier covers exactly (a partial day past the hourly retention) are left out
rather than counted from outside [from, to).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from shared.domain.aggregates import DAY_SECONDS, HOUR_SECONDS
from shared.domain.catalog_items import AssignmentItem
from shared.domain.wire import parse_timestamp

SpanTier = Literal["raw", "hourly", "daily"]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NEVER = datetime.max.replace(tzinfo=UTC)
# Every width divides the next larger unit, so aligned buckets never split a stored hour or day.
_SUB_DAY_WIDTHS = (60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 14400, 21600, 28800, 43200)
_HOUR = timedelta(seconds=HOUR_SECONDS)
_DAY = timedelta(seconds=DAY_SECONDS)


@dataclass(frozen=True)
class Coverage:
    """From when each tier is complete (up to now); nothing before a tier's start is read from it.
    Daily items are complete only for days before `daily_until` (the days rolled up so far)."""

    raw_from: datetime
    hourly_from: datetime
    daily_from: datetime
    daily_until: datetime = _NEVER


@dataclass(frozen=True)
class Span:
    tier: SpanTier
    start: datetime
    end: datetime


def _seconds(moment: datetime) -> int:
    return math.floor((moment - _EPOCH).total_seconds())


def floor_to(moment: datetime, width_seconds: int) -> datetime:
    seconds = _seconds(moment)
    return _EPOCH + timedelta(seconds=seconds - seconds % width_seconds)


def ceil_to(moment: datetime, width_seconds: int) -> datetime:
    floor = floor_to(moment, width_seconds)
    return floor if floor == moment else floor + timedelta(seconds=width_seconds)


def _bucket_count(start: datetime, end: datetime, width: int) -> int:
    return math.ceil((end - floor_to(start, width)).total_seconds() / width)


def bucket_width(start: datetime, end: datetime, points: int) -> int:
    """The narrowest UTC-aligned width (seconds) that covers [start, end) in at most `points` buckets."""
    for width in _SUB_DAY_WIDTHS:
        if _bucket_count(start, end, width) <= points:
            return width
    days = 1
    while _bucket_count(start, end, days * DAY_SECONDS) > points:
        days += 1
    return days * DAY_SECONDS


def bucket_edges(start: datetime, end: datetime, width: int) -> list[tuple[datetime, datetime]]:
    """Aligned buckets clipped to [start, end): the first starts at `start`, the last ends at `end`."""
    edges = []
    cursor = start
    while cursor < end:
        following = min(floor_to(cursor, width) + timedelta(seconds=width), end)
        edges.append((cursor, following))
        cursor = following
    return edges


def bucket_index(starts: list[datetime], moment: datetime) -> int:
    """The bucket holding `moment`, given the buckets' starts in order."""
    return bisect.bisect_right(starts, moment) - 1


def plan_spans(
    start: datetime, end: datetime, width: int, coverage: Coverage, *, open_ended: bool = False
) -> list[Span]:
    """The tier of every part of [start, end), in order; uncovered parts are absent.

    `open_ended` says nothing can exist after `end` (the range reaches the clock), so a stored unit
    that starts inside the range may reach past its end.
    """
    spans: list[Span] = []
    cursor = start
    while cursor < end:
        span = _next_span(cursor, end, width, coverage, open_ended)
        if span is None:
            cursor = _next_chance(cursor, end, coverage)
            continue
        if spans and spans[-1].tier == "raw" == span.tier and spans[-1].end == span.start:
            spans[-1] = Span("raw", spans[-1].start, span.end)
        else:
            spans.append(span)
        cursor = span.end
    return spans


def _next_chance(cursor: datetime, end: datetime, coverage: Coverage) -> datetime:
    """Where a tier may next cover something, after an uncovered moment (skipping whole gaps)."""
    candidates = [end, floor_to(cursor, DAY_SECONDS) + _DAY]
    if cursor >= coverage.hourly_from:
        candidates.append(floor_to(cursor, HOUR_SECONDS) + _HOUR)
    else:
        candidates.append(ceil_to(coverage.hourly_from, HOUR_SECONDS))
    if coverage.raw_from > cursor:
        candidates.append(coverage.raw_from)
    return min(candidates)


def _next_span(
    cursor: datetime, end: datetime, width: int, coverage: Coverage, open_ended: bool
) -> Span | None:
    def whole(unit: timedelta, tier: SpanTier, tier_from: datetime) -> Span | None:
        unit_end = cursor + unit
        aligned = floor_to(cursor, int(unit.total_seconds())) == cursor
        if aligned and cursor >= tier_from and (unit_end <= end or open_ended):
            return Span(tier, cursor, min(unit_end, end))
        return None

    daily = whole(_DAY, "daily", coverage.daily_from) if cursor + _DAY <= coverage.daily_until else None
    hourly = whole(_HOUR, "hourly", coverage.hourly_from)
    raw = (
        Span("raw", cursor, min(floor_to(cursor, HOUR_SECONDS) + _HOUR, end))
        if cursor >= coverage.raw_from
        else None
    )
    if width >= DAY_SECONDS:
        preferred = (daily, hourly, raw)
    elif width >= HOUR_SECONDS:
        preferred = (hourly, raw, daily)
    else:
        preferred = (raw, hourly, daily)
    return next((span for span in preferred if span is not None), None)


def coverage_of(
    assignment: AssignmentItem | None, now: datetime, *, daily_until: datetime | None = None
) -> Coverage:
    """What retention kept of an assignment's history: each tier from the latest of its retention
    cutoff (the shorter of the asked and the stored one), the floor a lengthening left and the
    deletion of a predecessor with the same ids (`historySince`: older items are not its own);
    daily items up to `daily_until` (the first day not rolled up yet, services/rollup.py)."""
    if assignment is None:
        never = datetime.max.replace(tzinfo=UTC)
        return Coverage(never, never, never)
    asked = assignment.retention
    stored = assignment.stored_retention or asked
    floors = {tier: parse_timestamp(at) for tier, at in (assignment.history_floors or {}).items()}
    since = parse_timestamp(assignment.history_since) if assignment.history_since else None

    def cutoff(tier: str) -> datetime:
        days = min(asked[f"{tier}Days"], stored[f"{tier}Days"])
        return max(filter(None, (now - timedelta(days=days), floors.get(tier), since)))

    return Coverage(
        raw_from=cutoff("raw"),
        hourly_from=ceil_to(cutoff("hourly"), HOUR_SECONDS),
        daily_from=ceil_to(cutoff("daily"), DAY_SECONDS),
        daily_until=daily_until or _NEVER,
    )
