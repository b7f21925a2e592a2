"""The HTML of `/status/{slug}`: a pure function of the page's view model. Works without
JavaScript (statuses are plain markup, bars and charts inline SVG) and refreshes itself every 30 s."""

from __future__ import annotations

from html import escape
from itertools import groupby

from shared.domain.status_pages import PageSystem, StatusPageRendered
from shared.web.charts import availability_bars, latency_chart, percent
from shared.web.colours import STATUS_COLOURS, STATUS_LABELS

REFRESH_SECONDS = 30
STYLESHEET = "/status-assets/status.css"
HEADLINES = {
    "healthy": "All systems operational",
    "degraded": "Some systems degraded",
    "unhealthy": "Some systems are down",
    "unknown": "Status unknown",
}


def render_status_page(model: StatusPageRendered) -> str:
    title = escape(model.title)
    return (
        "<!doctype html>"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">'
        f"<title>{title}</title>"
        f'<link rel="stylesheet" href="{STYLESHEET}">'
        f'<link rel="alternate" type="application/json" href="/status/{escape(model.slug)}.json">'
        "</head><body><main>"
        f"<h1>{title}</h1>"
        f"{_headline(model.status)}"
        f"{_maintenance_banners(model)}"
        f"{_systems(model)}"
        f"{_incidents(model)}"
        f'<footer class="muted">Updated {model.generated_at.strftime("%Y-%m-%d %H:%M:%S")} UTC · '
        f"refreshes every {REFRESH_SECONDS} s</footer>"
        "</main></body></html>"
    )


def _headline(status: str) -> str:
    return (
        f'<p class="headline status-{status}" style="background:{STATUS_COLOURS[status]}" '
        f'data-status="{status}">{HEADLINES[status]}</p>'
    )


def _maintenance_banners(model: StatusPageRendered) -> str:
    if not model.show.maintenance:
        return ""
    banners = []
    for system in model.systems:
        for m in system.maintenances:
            when = f"{m.starts_at:%Y-%m-%d %H:%M} to {m.ends_at:%Y-%m-%d %H:%M} UTC"
            kind = "active" if m.active else "upcoming"
            label = "Maintenance in progress" if m.active else "Scheduled maintenance"
            banners.append(
                f'<div class="maintenance maintenance-{kind}" role="status">'
                f"<strong>{label}:</strong> {escape(m.title)} ({escape(system.name)}), {when}</div>"
            )
    return "".join(banners)


def _systems(model: StatusPageRendered) -> str:
    parts = []
    for group, members in groupby(model.systems, key=lambda s: s.group):
        heading = f"<h2>{escape(group)}</h2>" if group else ""
        parts.append(
            f'<section class="group">{heading}{"".join(_system(s, model) for s in members)}</section>'
        )
    return "".join(parts)


def _system(system: PageSystem, model: StatusPageRendered) -> str:
    status = system.status
    details = []
    if model.show.checks and system.checks:
        items = "".join(
            f'<li><span class="dot" style="background:{STATUS_COLOURS[k.status]}"></span>'
            f"{escape(k.name)}: {STATUS_LABELS[k.status]}</li>"
            for k in system.checks
        )
        details.append(f'<ul class="checks">{items}</ul>')
    if model.show.availability:
        details.append(
            f'<div class="availability">{availability_bars(system.days)}'
            f'<p class="muted"><span>90 days ago</span><span>{percent(system.availability_90d)} uptime'
            "</span><span>today</span></p></div>"
        )
    if model.show.latency:
        details.append(f'<div class="latency-chart">{latency_chart(system.latency_24h)}</div>')
    return (
        f'<article class="system" data-system="{escape(system.system_id)}" data-status="{status}">'
        f'<header><h3>{escape(system.name)}</h3><span class="status status-{status}" '
        f'style="color:{STATUS_COLOURS[status]}">{STATUS_LABELS[status]}</span></header>'
        f"{''.join(details)}</article>"
    )


def _incidents(model: StatusPageRendered) -> str:
    if model.incidents is None:
        return ""
    if not model.incidents:
        return (
            '<section class="incidents"><h2>Incidents</h2><p class="muted">No recent incidents.</p></section>'
        )
    rows = "".join(
        f'<li class="incident incident-{escape(i.status)}"><strong>{escape(i.title)}</strong> '
        f"({escape(i.status)}) since {i.started_at:%Y-%m-%d %H:%M} UTC"
        + (f", resolved {i.resolved_at:%Y-%m-%d %H:%M} UTC" if i.resolved_at else "")
        + "</li>"
        for i in model.incidents
    )
    return f'<section class="incidents"><h2>Incidents</h2><ul>{rows}</ul></section>'
