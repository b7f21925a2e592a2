"""The page, its bars and charts, and badges are pure functions of their view models."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from shared.domain.status_pages import LatencyPoint, StatusPageRendered, overall_status
from shared.web.badges import badge
from shared.web.charts import latency_chart
from shared.web.colours import availability_colour
from shared.web.status_page_html import render_status_page

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def rendered(**overrides) -> StatusPageRendered:
    days = [
        {"day": f"2026-08-{n + 1:02d}", "availability": None, "runCount": 0, "unhealthyCount": 0}
        for n in range(90)
    ]
    system = {
        "systemId": "shop",
        "name": "<Shop & co>",
        "group": None,
        "status": "degraded",
        "since": NOW.isoformat(),
        "days": days,
        "latency24h": [],
        "maintenances": [],
    }
    return StatusPageRendered.model_validate(
        {
            "slug": "acme",
            "title": "Acme <status>",
            "status": "degraded",
            "generatedAt": NOW.isoformat(),
            "show": {},
            "systems": [system],
        }
        | overrides
    )


def test_names_are_escaped_and_nothing_is_loaded_from_elsewhere():
    # when
    html = render_status_page(rendered())
    # then
    assert "<Shop & co>" not in html and "&lt;Shop &amp; co&gt;" in html
    assert "Acme &lt;status&gt;" in html
    assert re.findall(r'(?:src|href)="([^"]+)"', html) == ["/status-assets/status.css", "/status/acme.json"]
    assert "<script" not in html


def test_a_day_without_runs_is_grey_and_has_its_own_tooltip():
    # when
    html = render_status_page(rendered())
    # then
    assert html.count('fill="#9ca3af"') == 90
    assert "<title>2026-08-01: no data</title>" in html


def test_incidents_show_only_when_an_incidents_reader_answered():
    # given
    without = render_status_page(rendered())
    empty = render_status_page(rendered(incidents=[]))
    one = render_status_page(
        rendered(
            incidents=[{"systemId": "db", "title": "DB down", "status": "open", "startedAt": NOW.isoformat()}]
        )
    )
    # then
    assert "Incidents" not in without
    assert "No recent incidents" in empty
    assert "DB down" in one and "(open)" in one


def test_a_day_colour_follows_its_availability():
    assert [availability_colour(a) for a in (None, 1.0, 0.98, 0.5)] == [
        "#9ca3af",
        "#1f9d55",
        "#d97706",
        "#dc2626",
    ]


def test_the_latency_chart_leaves_gaps_where_there_were_no_runs():
    # given hours with, without, and again with latency
    points = [
        {"hour": NOW + timedelta(hours=n), "avgMs": None if n in (2, 3) else 100.0 + n, "p95Ms": None}
        for n in range(6)
    ]
    # when
    svg = latency_chart([LatencyPoint.model_validate(p) for p in points])
    # then
    assert svg.count("<polyline") == 2
    assert "peak 105 ms" in svg


def test_the_headline_is_the_worst_known_status():
    assert overall_status(["healthy", "unknown", "degraded"]) == "degraded"
    assert overall_status(["unknown"]) == "unknown"
    assert overall_status(["healthy", "unhealthy"]) == "unhealthy"


def test_a_badge_fills_its_label_and_value_so_it_reads_on_any_background():
    # when
    svg = badge("status", "down <now>", "#dc2626")
    # then
    assert 'fill="#374151"' in svg and 'fill="#dc2626"' in svg and 'fill="#fff"' in svg
    assert "down &lt;now&gt;" in svg
