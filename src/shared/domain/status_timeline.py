"""Seconds per status over a span of a status timeline, mergeable day by day (pure).

A timeline is the status in force at each instant: an initial status and change points
`(at, status)`. Every instant of a span falls in exactly one class: maintenance (inside a window,
whatever the status), up (healthy or degraded), down (unhealthy) or unknown (no data, paused).

`SpanStats` of two adjacent spans combine into the stats of their union exactly, so a year is the
combination of stored daily stats and the partial days at its edges:
- an incident is an instant where the class becomes down after something else (the class just
  before a span is part of its input, so an outage continuing over midnight is one incident);
- the longest outage is the longest run of down seconds; leading and trailing down seconds let
  runs crossing span edges join.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from shared.domain.availability import merge_intervals
from shared.domain.health import evaluate_system
from shared.domain.wire import HealthStatus

UP = frozenset({"healthy", "degraded"})
Change = tuple[datetime, HealthStatus]


def status_class(status: HealthStatus, in_maintenance: bool) -> str:
    """maintenance, up, down or unknown."""
    if in_maintenance:
        return "maintenance"
    if status in UP:
        return "up"
    return "down" if status == "unhealthy" else "unknown"


@dataclass(frozen=True)
class SpanStats:
    span: float = 0.0
    up: float = 0.0
    down: float = 0.0
    unknown: float = 0.0
    maintenance: float = 0.0
    incidents: int = 0
    longest_down: float = 0.0
    leading_down: float = 0.0
    trailing_down: float = 0.0

    @property
    def availability(self) -> float | None:
        counted = self.up + self.down
        return self.up / counted if counted else None

    def then(self, later: SpanStats) -> SpanStats:
        """The stats of this span followed directly by `later`."""
        if self.span == 0:
            return later
        if later.span == 0:
            return self
        return SpanStats(
            span=self.span + later.span,
            up=self.up + later.up,
            down=self.down + later.down,
            unknown=self.unknown + later.unknown,
            maintenance=self.maintenance + later.maintenance,
            incidents=self.incidents + later.incidents,
            longest_down=max(self.longest_down, later.longest_down, self.trailing_down + later.leading_down),
            leading_down=self.span + later.leading_down
            if self.leading_down == self.span
            else self.leading_down,
            trailing_down=later.span + self.trailing_down
            if later.trailing_down == later.span
            else later.trailing_down,
        )

    def to_item(self) -> dict[str, Any]:
        return {name: Decimal(str(value)) for name, value in asdict(self).items()}

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> SpanStats:
        return cls(**{name: (int if name == "incidents" else float)(item[name]) for name in asdict(cls())})


def combine(parts: Iterable[SpanStats]) -> SpanStats:
    """Adjacent spans in time order, combined."""
    total = SpanStats()
    for part in parts:
        total = total.then(part)
    return total


def changes_within(
    changes: Sequence[Change], initial: HealthStatus, start: datetime, end: datetime
) -> list[Change]:
    """The change points of [start, end), the first at `start`: changes at or before `start`
    override `initial` (the last of equal instants wins, in the order given)."""
    status = initial
    inside: list[Change] = []
    for at, new_status in sorted(changes, key=lambda change: change[0]):
        if at <= start:
            status = new_status
        elif at < end:
            inside.append((at, new_status))
    return [(start, status), *inside]


def worst_of(timelines: Sequence[list[Change]]) -> list[Change]:
    """The system's timeline: at each instant the worst known status of its checks (each timeline
    starting at the same instant, as `changes_within` gives them)."""
    if not timelines:
        return []
    points = sorted({at for timeline in timelines for at, _ in timeline})
    positions = [0] * len(timelines)
    merged: list[Change] = []
    for moment in points:
        current = []
        for index, timeline in enumerate(timelines):
            while positions[index] + 1 < len(timeline) and timeline[positions[index] + 1][0] <= moment:
                positions[index] += 1
            current.append(timeline[positions[index]][1])
        merged.append((moment, evaluate_system(current)))
    return merged


def span_stats(
    timeline: Sequence[Change],
    before: HealthStatus,
    maintenances: Iterable[tuple[datetime, datetime]],
    start: datetime,
    end: datetime,
) -> SpanStats:
    """Stats of [start, end) for a timeline from `changes_within`; `before` is the status just
    before `start` (it decides whether a down class at `start` opens an incident)."""
    windows = merge_intervals(maintenances, start - timedelta(microseconds=1), end)
    previous = status_class(before, any(a < start <= b for a, b in windows))
    totals = {"up": 0.0, "down": 0.0, "unknown": 0.0, "maintenance": 0.0}
    incidents, longest, leading, running = 0, 0.0, 0.0, 0.0
    leading_open = True
    for piece_start, piece_end, status in _pieces(timeline, end):
        for part_start, part_end, in_maintenance in _split(piece_start, piece_end, windows):
            kind = status_class(status, in_maintenance)
            seconds = (part_end - part_start).total_seconds()
            totals[kind] += seconds
            if kind == "down":
                incidents += previous != "down"
                running += seconds
                longest = max(longest, running)
                if leading_open:
                    leading += seconds
            elif seconds > 0:
                running = 0.0
                leading_open = False
            previous = kind if seconds > 0 else previous
    return SpanStats(
        span=(end - start).total_seconds(),
        **totals,
        incidents=incidents,
        longest_down=longest,
        leading_down=leading,
        trailing_down=running,
    )


def status_before(changes: Sequence[Change], initial: HealthStatus, moment: datetime) -> HealthStatus:
    """The status just before `moment`."""
    status = initial
    for at, new_status in sorted(changes, key=lambda change: change[0]):
        if at < moment:
            status = new_status
    return status


def _pieces(timeline: Sequence[Change], end: datetime) -> list[tuple[datetime, datetime, HealthStatus]]:
    ends = [at for at, _ in timeline[1:]] + [end]
    return [(at, until, status) for (at, status), until in zip(timeline, ends, strict=True) if until > at]


def _split(
    start: datetime, end: datetime, windows: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime, bool]]:
    parts, cursor = [], start
    for a, b in windows:
        if b <= cursor or a >= end:
            continue
        if a > cursor:
            parts.append((cursor, a, False))
        parts.append((max(a, cursor), min(b, end), True))
        cursor = min(b, end)
    if cursor < end:
        parts.append((cursor, end, False))
    return parts
