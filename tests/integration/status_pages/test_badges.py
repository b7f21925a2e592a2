"""Badges: SVG with cache headers, only for systems on a public page or with HC_PUBLIC_STATUS."""

from __future__ import annotations

from tests.integration.api.stack import reconfigure
from tests.integration.heartbeats.conftest import heartbeat_check, ping, three_systems


def badge(stack, path: str, **query):
    return stack.call("GET", path, key=None, query=query)


def test_badges_of_a_system_on_a_public_page(stack, clock):
    # given
    three_systems(stack, clock)
    # when
    status = badge(stack, "/badges/db/status.svg")
    uptime = badge(stack, "/badges/web/uptime.svg", window="7d")
    latency = badge(stack, "/badges/web/latency.svg")
    # then
    assert status.status == 200
    assert status.headers["Content-Type"] == "image/svg+xml"
    assert "max-age=60" in status.headers["Cache-Control"]
    assert "status: down" in status.body and "#dc2626" in status.body
    assert "uptime 7d" in uptime.body
    assert "latency 24h: no data" in latency.body


def test_no_badge_for_a_system_on_no_public_page_unless_status_is_public(stack, clock):
    # given
    ping(stack, heartbeat_check(stack, system_id="secret"))
    # when
    hidden = badge(stack, "/badges/secret/status.svg")
    reconfigure(stack, HC_PUBLIC_STATUS="true")
    shown = badge(stack, "/badges/secret/status.svg")
    # then
    assert hidden.status == 404
    assert shown.status == 200


def test_a_page_made_private_takes_its_systems_badges_away(stack, clock):
    # given
    three_systems(stack, clock)
    # when
    stack.call("PATCH", "/status-pages/acme", {"public": False})
    # then
    assert badge(stack, "/badges/web/status.svg").status == 404
