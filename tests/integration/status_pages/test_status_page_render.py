"""`/status/{slug}`: the HTML people see, its JSON twin, access, and cache invalidation."""

from __future__ import annotations

import re

from tests.integration.api.stack import created
from tests.integration.heartbeats.conftest import ping, three_systems


def page(stack, path: str = "/status/acme", **kwargs):
    return stack.call("GET", path, key=None, **kwargs)


def test_the_page_shows_each_system_its_bars_and_the_maintenance_without_external_urls(stack, clock):
    # given
    three_systems(stack, clock)
    # when
    answer = page(stack)
    # then
    html = answer.body
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "max-age" in answer.headers["Cache-Control"]
    assert re.findall(r'data-system="([a-z]+)" data-status="([a-z]+)"', html) == [
        ("web", "healthy"),
        ("db", "unhealthy"),
        ("queue", "degraded"),
    ]
    assert html.count("<rect ") == 3 * 90
    assert "Maintenance in progress:</strong> Broker upgrade (Job queue)" in html
    assert "Scheduled maintenance:</strong> Disk swap" in html
    assert '<meta http-equiv="refresh" content="30">' in html
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "No recent incidents." in html


def test_the_json_twin_has_the_same_statuses_and_90_days(stack, clock):
    # given
    three_systems(stack, clock)
    # when
    body = page(stack, "/status/acme.json").body
    # then
    assert body["status"] == "unhealthy"
    assert [(s["systemId"], s["status"], s["group"]) for s in body["systems"]] == [
        ("web", "healthy", "Front"),
        ("db", "unhealthy", "Back"),
        ("queue", "degraded", "Back"),
    ]
    assert len(body["systems"][0]["days"]) == 90
    assert body["systems"][0]["days"][-1]["availability"] == 1.0
    assert body["systems"][1]["days"][-1]["availability"] == 0.0
    assert len(body["systems"][0]["latency24h"]) == 24
    assert body["incidents"] == []


def test_a_health_change_and_a_page_change_show_at_once(stack, clock):
    # given a rendered (cached) page
    three_systems(stack, clock)
    page(stack, "/status/acme.json")
    token = created(stack.call("POST", "/systems/db/checks/db-beat/ping-token"))["token"]
    # when db recovers and the page is renamed
    clock.advance(5)
    ping(stack, token)
    stack.call("PATCH", "/status-pages/acme", {"title": "Acme, Inc."})
    # then
    body = page(stack, "/status/acme.json").body
    assert body["title"] == "Acme, Inc."
    assert [s["status"] for s in body["systems"]] == ["healthy", "healthy", "degraded"]


def test_a_key_protected_page_needs_a_reader_key(stack, clock):
    # given
    three_systems(stack, clock)
    stack.call("PATCH", "/status-pages/acme", {"public": False})
    # when / then
    assert page(stack).status == 401
    assert stack.call("GET", "/status/acme").status == 200
    assert "no-store" in stack.call("GET", "/status/acme.json").headers["Cache-Control"]


def test_an_unknown_or_malformed_slug_is_404(stack, clock):
    assert page(stack, "/status/nope").status == 404
    assert page(stack, "/status/NOPE%20x.json").status == 404


def test_the_stylesheet_and_the_dashboard_are_served_by_the_stack(stack, clock):
    # when
    css = page(stack, "/status-assets/status.css")
    ui = page(stack, "/ui")
    script = page(stack, "/status-assets/dashboard.js")
    # then
    assert css.status == 200 and css.headers["Content-Type"].startswith("text/css")
    assert ui.status == 200 and 'src="/status-assets/dashboard.js"' in ui.body
    assert script.status == 200 and "sessionStorage" in script.body
    assert page(stack, "/status-assets/..%2Fcolours.py").status == 404
