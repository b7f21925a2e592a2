"""Inline SVG: a system's 90 daily availability bars and its 24 h latency line (no JS library)."""

from __future__ import annotations

from html import escape

from shared.domain.status_pages import DayBar, LatencyPoint
from shared.web.colours import STATUS_COLOURS, availability_colour

BAR_WIDTH, BAR_GAP, BAR_HEIGHT = 3, 1, 28
CHART_WIDTH, CHART_HEIGHT = 360, 60


def percent(value: float | None) -> str:
    return "no data" if value is None else f"{value * 100:.2f} %"


def availability_bars(days: list[DayBar]) -> str:
    """One rect per day, its colour by availability, a <title> tooltip each."""
    width = len(days) * (BAR_WIDTH + BAR_GAP)
    rects = []
    for n, day in enumerate(days):
        tip = f"{day.day}: {percent(day.availability)}"
        if day.run_count:
            tip += f", {day.run_count} runs, {day.unhealthy_count} failed"
        rects.append(
            f'<rect x="{n * (BAR_WIDTH + BAR_GAP)}" fill="{availability_colour(day.availability)}">'
            f"<title>{escape(tip)}</title></rect>"
        )
    # Every bar has the same size: said once, by the stylesheet's `.bars rect`, not 90 times.
    return (
        f'<svg class="bars" role="img" aria-label="availability per day, last {len(days)} days" '
        f'viewBox="0 0 {width} {BAR_HEIGHT}" preserveAspectRatio="none">{"".join(rects)}</svg>'
    )


def latency_chart(points: list[LatencyPoint]) -> str:
    """A polyline of the hourly average latency, scaled to its own maximum; gaps where no runs."""
    values = [p.avg_ms for p in points]
    known = [v for v in values if v is not None]
    if not known:
        return '<p class="muted">No latency in the last 24 hours.</p>'
    top = max(known) or 1.0
    step = CHART_WIDTH / max(1, len(points) - 1)
    segments, current = [], []
    for n, point in enumerate(points):
        if point.avg_ms is None:
            if current:
                segments.append(current)
            current = []
            continue
        y = CHART_HEIGHT - 4 - (point.avg_ms / top) * (CHART_HEIGHT - 8)
        current.append(f"{n * step:.1f},{y:.1f}")
    if current:
        segments.append(current)
    lines = "".join(
        f'<polyline fill="none" stroke="{STATUS_COLOURS["healthy"]}" stroke-width="2" '
        f'points="{" ".join(s)}"/>'
        for s in segments
    )
    tips = "".join(
        f"<title>{escape(p.hour.strftime('%H:00'))} UTC: {p.avg_ms:.0f} ms</title>"
        for p in points[-1:]
        if p.avg_ms is not None
    )
    return (
        f'<svg class="latency" role="img" aria-label="average latency per hour, last 24 hours, '
        f'peak {top:.0f} ms" viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}">{tips}{lines}</svg>'
        f'<p class="muted">avg latency per hour, peak {top:.0f} ms</p>'
    )
