"""What a person sees, in headless Chromium (Debian's package, driven by Playwright; no browser
download): a public status page of three systems and the dashboard, served by the local stack on
127.0.0.1. The screenshot is kept in tests/artifacts/ (git-ignored)."""

from __future__ import annotations

import json
import shutil
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from local.run import start_local_stack
from local.settings import LocalRuntimeSettings

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ADMIN_KEY = "browser-test-admin-key"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
GREEN, AMBER, RED = "rgb(31, 157, 85)", "rgb(217, 119, 6)", "rgb(220, 38, 38)"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is installed by make test")


def call(base: str, method: str, path: str, body: dict | None = None, key: str | None = ADMIN_KEY) -> dict:
    request = urllib.request.Request(
        base + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"content-type": "application/json"} | ({"authorization": f"Bearer {key}"} if key else {}),
    )
    with urllib.request.urlopen(request, timeout=15) as answer:
        text = answer.read()
        return json.loads(text) if text else {}


def heartbeat_system(base: str, system_id: str, ping: str, thresholds: dict) -> None:
    call(base, "POST", "/systems", {"id": system_id, "name": system_id.title()})
    config = {"periodSeconds": 3600, "graceSeconds": 600}
    body = {
        "id": system_id,
        "name": system_id,
        "strategyId": "heartbeat",
        "intervalSeconds": 60,
        "config": config,
    }
    call(base, "POST", "/configurations", body)
    call(base, "PUT", f"/systems/{system_id}/checks/{system_id}", {"stateThresholds": thresholds})
    token = call(base, "POST", f"/systems/{system_id}/checks/{system_id}/ping-token")["token"]
    call(base, "POST", f"/ping/{token}{ping}", key=None)


@pytest.fixture(scope="module")
def served_page():
    stack = start_local_stack(
        tick_seconds=3600,
        settings=LocalRuntimeSettings(HC_PORT=0, HC_ADMIN_API_KEY=ADMIN_KEY, HC_DATA_DIR=None),
    )
    try:
        base = stack.base_url
        strict = {"mode": "consecutive", "degradedAfter": 1, "unhealthyAfter": 1}
        lenient = {"mode": "consecutive", "degradedAfter": 1, "unhealthyAfter": 3}
        heartbeat_system(base, "web", "", strict)
        heartbeat_system(base, "db", "/fail", strict)
        heartbeat_system(base, "queue", "/1", lenient)
        now = datetime.now(UTC)
        window = {
            "title": "Broker upgrade",
            "startsAt": (now - timedelta(minutes=5)).isoformat(),
            "endsAt": (now + timedelta(hours=1)).isoformat(),
        }
        call(base, "POST", "/systems/queue/maintenances", window)
        systems = [{"systemId": s} for s in ("web", "db", "queue")]
        call(base, "POST", "/status-pages", {"slug": "acme", "title": "Acme status", "systems": systems})
        yield base
    finally:
        stack.stop()


def test_a_public_status_page_shows_colours_bars_and_maintenance_and_asks_nothing_outside(
    served_page, tmp_path
):
    from playwright.sync_api import sync_playwright

    requested: list[str] = []
    refused: list[str] = []

    def only_the_stack(route, request) -> None:
        requested.append(request.url)
        if request.url.startswith(served_page + "/"):
            route.continue_()
        else:
            refused.append(request.url)
            route.abort()

    with sync_playwright() as driver:
        browser = driver.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 900, "height": 900},
        )
        try:
            browser.route("**/*", only_the_stack)
            page = browser.new_page()
            page.goto(f"{served_page}/status/acme", wait_until="load")
            colours = {
                system: page.eval_on_selector(
                    f'article[data-system="{system}"] .status', "node => getComputedStyle(node).color"
                )
                for system in ("web", "db", "queue")
            }
            texts = {
                s: page.inner_text(f'article[data-system="{s}"] .status') for s in ("web", "db", "queue")
            }
            bars = page.locator("svg.bars rect")
            bar_count = bars.count()
            today = bars.nth(89).get_attribute("fill")
            banner = page.locator(".maintenance-active")
            banner_text = banner.inner_text()
            stylesheet_applied = page.eval_on_selector(
                ".headline", "node => getComputedStyle(node).borderRadius"
            )
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "status-page.png"), full_page=True)
        finally:
            browser.close()
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)

    assert colours == {"web": GREEN, "db": RED, "queue": AMBER}
    assert texts == {"web": "Operational", "db": "Down", "queue": "Degraded"}
    assert bar_count == 3 * 90
    assert today in ("#1f9d55", "#dc2626")
    assert "Maintenance in progress" in banner_text and "Broker upgrade" in banner_text
    assert stylesheet_applied == "8px"
    assert refused == []
    assert all(url.startswith(served_page) for url in requested)
    assert (ARTIFACTS / "status-page.png").stat().st_size > 0


def test_the_dashboard_takes_a_key_filters_systems_and_shows_a_systems_runs(served_page, tmp_path):
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            browser.route(
                "**/*",
                lambda route, request: (
                    route.continue_()
                    if request.url.startswith(served_page + "/")
                    else (outside.append(request.url), route.abort())
                ),
            )
            page = browser.new_page()
            page.goto(f"{served_page}/ui")
            page.fill("#key", ADMIN_KEY)
            page.click("#key-form button")
            page.wait_for_selector("#systems tr")
            all_rows = page.locator("#systems tr").count()
            page.select_option("#status-filter", "unhealthy")
            down = page.locator("#systems tr").all_inner_texts()
            page.click("#systems tr[data-id=db]")
            page.wait_for_selector("#detail h3")
            detail = page.inner_text("#detail")
            stored = page.evaluate("sessionStorage.getItem('hc-key')")
        finally:
            browser.close()
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)

    assert all_rows == 3
    assert len(down) == 1 and down[0].startswith("Db")
    assert "healthy → unhealthy" in detail or "unknown → unhealthy" in detail
    assert "unhealthy" in detail
    assert stored == ADMIN_KEY
    assert outside == []
