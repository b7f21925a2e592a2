"""Availability of a system and each of its checks over any range, in a bounded number of reads.

A range is cut at UTC midnights. Each whole day that ended more than `SETTLE` ago is served by one
stored summary (the system's and every check's `SpanStats` of that day); the partial days at the
edges, today, and days without a valid summary are computed from check transitions (one query per
check and piece, plus the status each check had before the piece). A computed whole day is stored
for the next reader, conditionally on the version it read, so a late transition (which bumps that
version in its own commit) is never overwritten by an older computation. A summary also goes stale
when the system's checks or the maintenance windows touching its day change (its digest).

Reads for a range of D days with k checks, once summaries exist: 1 snapshot query, ceil(D / 100)
BatchGetItem calls (at most D items), and for each of at most two edge pieces k queries for the
status before it and k queries of its transitions.
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.domain import aggregates
from shared.domain.availability import window_bounds
from shared.domain.availability_views import SystemAvailabilityView, seconds_fields
from shared.domain.catalog_items import AssignmentItem
from shared.domain.check_timeline import stale_after
from shared.domain.errors import NotFoundError
from shared.domain.health import evaluate_system
from shared.domain.snapshots import SystemSnapshot
from shared.domain.state_items import CheckStateItem
from shared.domain.status_timeline import SpanStats, changes_within, combine, span_stats, worst_of
from shared.domain.wire import HealthStatus, format_timestamp, parse_timestamp
from shared.services import availability_cache
from shared.services.context import Collaborators
from shared.services.history import time_range

DAY = timedelta(days=1)
SETTLE = timedelta(hours=1)


@dataclass(frozen=True)
class RangeStats:
    system: SpanStats
    checks: dict[str, SpanStats]


@dataclass(frozen=True)
class _Piece:
    start: datetime
    end: datetime
    summarised: bool


def availability(
    c: Collaborators, system_id: str, *, start: str | None, end: str | None, window: str | None
) -> SystemAvailabilityView:
    """Time-weighted availability of the system and each check (cached per system and range)."""
    if window:
        since, until = window_bounds(window, c.clock())
    else:
        since, until = time_range(c, start, end, default=timedelta(days=30))

    def load() -> dict | None:
        snapshot = c.repository.system_snapshot(system_id)
        if snapshot.system is None:
            return None
        stats = range_stats(c, snapshot, since, until)
        return SystemAvailabilityView.model_validate(
            seconds_fields(stats.system)
            | {
                "systemId": system_id,
                "from": since,
                "to": until,
                "checks": [
                    {"configurationId": cfg} | seconds_fields(check) for cfg, check in stats.checks.items()
                ],
            }
        ).to_wire()

    key = f"window:{window}" if window else f"{format_timestamp(since)}|{format_timestamp(until)}"
    answer = availability_cache.cached(c, system_id, key, load)
    if answer is None:
        raise NotFoundError(f"system {system_id} not found")
    return SystemAvailabilityView.model_validate(answer)


def range_stats(c: Collaborators, snapshot: SystemSnapshot, since: datetime, until: datetime) -> RangeStats:
    """SpanStats of [since, until) for the system and each assigned check (see the module doc)."""
    now = c.clock()
    assignments = {a.configuration_id: a for a in snapshot.assignments}
    maintenances = [(parse_timestamp(m.starts_at), parse_timestamp(m.ends_at)) for m in snapshot.maintenances]
    pieces = _plan(since, until, now)
    days = [format_timestamp(p.start)[:10] for p in pieces if p.summarised]
    stored = c.repository.get_availability_days(snapshot.system.id, days) if days else {}
    parts: list[RangeStats] = []
    pending: list[_Piece] = []
    for piece in pieces:
        day = format_timestamp(piece.start)[:10]
        summary = stored.get(day)
        if piece.summarised and _valid(summary, _digest(assignments, maintenances, piece)):
            parts += _computed(c, snapshot, pending, maintenances, now, stored)
            pending = []
            parts.append(_from_summary(summary, assignments))
        else:
            pending.append(piece)
    parts += _computed(c, snapshot, pending, maintenances, now, stored)
    return RangeStats(
        system=combine(p.system for p in parts),
        checks={cfg: combine(p.checks.get(cfg, SpanStats()) for p in parts) for cfg in sorted(assignments)},
    )


def _plan(since: datetime, until: datetime, now: datetime) -> list[_Piece]:
    pieces, cursor = [], since
    while cursor < until:
        day_end = aggregates.day_start(cursor) + DAY
        piece_end = min(day_end, until)
        whole = cursor == day_end - DAY and piece_end == day_end
        pieces.append(_Piece(cursor, piece_end, whole and day_end + SETTLE <= now))
        cursor = piece_end
    return pieces


def _digest(assignments: dict, maintenances: list, piece: _Piece) -> str:
    touching = sorted(
        (format_timestamp(a), format_timestamp(b))
        for a, b in maintenances
        if a < piece.end and b > piece.start
    )
    text = json.dumps([sorted(assignments), touching])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _valid(summary: dict | None, digest: str) -> bool:
    return bool(summary) and not summary.get("dirty") and summary.get("digest") == digest


def _from_summary(summary: dict, assignments: dict) -> RangeStats:
    checks = summary.get("checks", {})
    return RangeStats(
        SpanStats.from_item(summary["system"]),
        {cfg: SpanStats.from_item(checks[cfg]) for cfg in assignments if cfg in checks},
    )


def _computed(
    c: Collaborators,
    snapshot: SystemSnapshot,
    pieces: list[_Piece],
    maintenances: list,
    now: datetime,
    stored: dict,
) -> list[RangeStats]:
    """Stats of consecutive pieces from check transitions: one read per check for the whole run
    of pieces; whole days among them are stored as summaries."""
    if not pieces:
        return []
    system_id = snapshot.system.id
    assignments = {a.configuration_id: a for a in snapshot.assignments}
    start, end = pieces[0].start, pieces[-1].end
    timelines = {
        cfg: _check_changes(c, system_id, assignment, snapshot.check_states.get(cfg), start, end, now)
        for cfg, assignment in sorted(assignments.items())
    }
    parts = []
    for piece in pieces:
        part = _piece_stats(timelines, maintenances, piece)
        parts.append(part)
        if piece.summarised:
            _store_summary(c, system_id, piece, part, _digest(assignments, maintenances, piece), stored)
    return parts


def _check_changes(
    c: Collaborators,
    system_id: str,
    assignment: AssignmentItem,
    check_state: CheckStateItem | None,
    start: datetime,
    end: datetime,
    now: datetime,
) -> tuple[HealthStatus, list[tuple[datetime, HealthStatus]]]:
    """The status before `start` and the changes in [start, end), with the open gap of a check no
    source reported for a while and the future (after now) as unknown."""
    cfg = assignment.configuration_id
    before = c.repository.last_check_transition_before(system_id, cfg, format_timestamp(start))
    stored = c.repository.list_check_transitions(
        system_id, cfg, start=format_timestamp(start), end=format_timestamp(end)
    )
    changes = [(parse_timestamp(t.at), t.new_status) for t in stored]
    newest = check_state.timeline.last_run_at if check_state and check_state.timeline else None
    if newest:
        gap = parse_timestamp(newest) + stale_after(assignment)
        if gap < min(end, now) and all(at <= gap for at, _ in changes):
            changes.append((max(gap, start), "unknown"))
    if now < end:
        changes.append((max(now, start), "unknown"))
    changes.sort(key=lambda change: change[0])
    return (before.new_status if before else "unknown"), changes


def _piece_stats(timelines: dict, maintenances: list, piece: _Piece) -> RangeStats:
    checks, lines, befores = {}, [], []
    for cfg, (initial, changes) in timelines.items():
        # Only the changes up to the piece's end matter; the newest before its start sets `before`.
        first = bisect_left(changes, piece.start, key=lambda change: change[0])
        last = bisect_left(changes, piece.end, key=lambda change: change[0])
        before = changes[first - 1][1] if first else initial
        line = changes_within(changes[first:last], before, piece.start, piece.end)
        checks[cfg] = span_stats(line, before, maintenances, piece.start, piece.end)
        lines.append(line)
        befores.append(before)
    system_line = worst_of(lines) or [(piece.start, "unknown")]
    system = span_stats(system_line, evaluate_system(befores), maintenances, piece.start, piece.end)
    return RangeStats(system, checks)


def _store_summary(
    c: Collaborators, system_id: str, piece: _Piece, part: RangeStats, digest: str, stored: dict
) -> None:
    day = format_timestamp(piece.start)[:10]
    previous = stored.get(day)
    summary = {
        "day": day,
        "digest": digest,
        "dirty": False,
        "system": part.system.to_item(),
        "checks": {cfg: stats.to_item() for cfg, stats in part.checks.items()},
    }
    c.repository.put_availability_day(
        system_id, day, summary, expected_version=int(previous["version"]) if previous else None
    )
