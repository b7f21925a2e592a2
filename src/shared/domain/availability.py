"""Availability windows and maintenance intervals (the time-weighted maths: status_timeline.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

WINDOWS: dict[str, timedelta] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
    "365d": timedelta(days=365),
}


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
