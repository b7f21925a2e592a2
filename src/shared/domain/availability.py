"""Availability of a system (or a check) from its status timeline, with maintenance set aside.

Every instant of [start, end) falls in exactly one bucket, so the four durations add up to
`end - start`:

- maintenance: inside a maintenance window (overlapping windows merged), whatever the status;
  it counts neither as up nor as down;
- up: healthy or degraded. A degraded system still answers (slowly, or partly), so it is up;
  only "unhealthy" is down;
- down: unhealthy;
- unknown: no data (before the first run, or everything paused).

availability = up / (up + down), or None when there is neither.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from shared.domain.wire import HealthStatus

WINDOWS: dict[str, timedelta] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
    "365d": timedelta(days=365),
}

_UP = frozenset({"healthy", "degraded"})


def window_bounds(window: str, now: datetime) -> tuple[datetime, datetime]:
    """The range a named window (`24h`, `7d`, `30d`, `90d`, `365d`) covers, ending now."""
    if now.tzinfo is None:
        raise ValueError("now must carry a time zone")
    if window not in WINDOWS:
        raise ValueError(f"unknown window {window!r}; expected one of {', '.join(WINDOWS)}")
    return now - WINDOWS[window], now


def merge_intervals(
    intervals: Iterable[tuple[datetime, datetime]], start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """Intervals clipped to [start, end), empty ones dropped, overlapping or touching ones joined."""
    clipped = sorted((max(a, start), min(b, end)) for a, b in intervals if min(b, end) > max(a, start))
    merged: list[tuple[datetime, datetime]] = []
    for a, b in clipped:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _status_segments(
    transitions: Sequence[tuple[datetime, HealthStatus]],
    initial_status: HealthStatus,
    start: datetime,
    end: datetime,
) -> list[tuple[datetime, datetime, HealthStatus]]:
    """Consecutive [from, to) ranges covering [start, end), each with the status holding there.

    A transition at or before `start` overrides `initial_status`; transitions at the same instant
    apply in the order given (the last wins).
    """
    status = initial_status
    ordered = sorted(enumerate(transitions), key=lambda pair: (pair[1][0], pair[0]))
    segments = []
    cursor = start
    for _, (at, new_status) in ordered:
        if at >= end:
            break
        if at > cursor:
            segments.append((cursor, at, status))
            cursor = at
        status = new_status
    segments.append((cursor, end, status))
    return segments


def availability(
    transitions: Sequence[tuple[datetime, HealthStatus]],
    initial_status: HealthStatus,
    maintenances: Iterable[tuple[datetime, datetime]],
    start: datetime,
    end: datetime,
) -> dict[str, Any]:
    """Up, down, unknown and maintenance seconds over [start, end), and the availability ratio.

    `initial_status` is the status at `start` (use "unknown" when none is recorded).
    """
    if end < start:
        raise ValueError("end must not be before start")
    totals = {"up": timedelta(), "down": timedelta(), "unknown": timedelta(), "maintenance": timedelta()}
    windows = merge_intervals(maintenances, start, end)
    for seg_start, seg_end, status in _status_segments(transitions, initial_status, start, end):
        in_maintenance = _overlap(seg_start, seg_end, windows)
        totals["maintenance"] += in_maintenance
        outside = seg_end - seg_start - in_maintenance
        if status in _UP:
            totals["up"] += outside
        elif status == "unhealthy":
            totals["down"] += outside
        else:
            totals["unknown"] += outside

    counted = totals["up"] + totals["down"]
    return {
        "uptimeSeconds": totals["up"].total_seconds(),
        "downtimeSeconds": totals["down"].total_seconds(),
        "unknownSeconds": totals["unknown"].total_seconds(),
        "maintenanceSeconds": totals["maintenance"].total_seconds(),
        "availability": totals["up"] / counted if counted else None,
    }


def _overlap(start: datetime, end: datetime, windows: Iterable[tuple[datetime, datetime]]) -> timedelta:
    total = timedelta()
    for a, b in windows:
        if a < end and b > start:
            total += min(b, end) - max(a, start)
    return total
