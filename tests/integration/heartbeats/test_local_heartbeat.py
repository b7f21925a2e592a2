"""Issue 14's heartbeat done-when on the local twin (`make run`), scaled down in time: a heartbeat
(period 10 s, grace 5 s: the contract's smallest period, so the test takes seconds, not minutes) is
pinged from a loop through the gateway and the PingFunction; the loop stops; the scheduler (ticking
every 10 s here) finds the deadline in the deadline index, the executor records the missed run at the
deadline, and the system goes unhealthy with a transition recorded."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from local.run import start_local_stack
from local.settings import LocalRuntimeSettings
from tests.integration.twin_http import call as http_call
from tests.integration.twin_http import ok

ADMIN_KEY = "heartbeat-local-key"
TICK_SECONDS = 10
PERIOD_SECONDS, GRACE_SECONDS = 10, 5
# How long past the deadline the test waits for the missed run: a tick, and a loaded machine's slack.
WAIT_PAST_DEADLINE_SECONDS = TICK_SECONDS + 40

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def stack():
    settings = LocalRuntimeSettings(HC_PORT=0, HC_ADMIN_API_KEY=ADMIN_KEY, HC_DATA_DIR=None)
    running = start_local_stack(tick_seconds=TICK_SECONDS, settings=settings, event_printer=lambda line: None)
    yield running
    running.stop()


def call(stack, method: str, path: str, body=None, *, key: str | None = ADMIN_KEY):
    return http_call(stack.base_url, method, path, body, key=key)


def epoch(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


def test_a_stopped_ping_loop_turns_the_system_unhealthy_at_its_deadline(stack):
    # given a heartbeat check, unhealthy after one miss, and its ping token
    ok(call(stack, "POST", "/systems", {"id": "backup", "name": "Nightly backup"}))
    config = {"periodSeconds": PERIOD_SECONDS, "graceSeconds": GRACE_SECONDS}
    beat = {
        "id": "backup-beat",
        "name": "Backup",
        "strategyId": "heartbeat",
        "intervalSeconds": 60,
        "config": config,
    }
    ok(call(stack, "POST", "/configurations", beat))
    thresholds = {"mode": "consecutive", "degradedAfter": 1, "unhealthyAfter": 1, "recoverAfter": 1}
    ok(call(stack, "PUT", "/systems/backup/checks/backup-beat", {"stateThresholds": thresholds}))
    token = ok(call(stack, "POST", "/systems/backup/checks/backup-beat/ping-token"))["token"]
    # when a job pings from a loop, then stops
    answers = []
    for n in range(4):
        answers.append(ok(call(stack, "POST", f"/ping/{token}", f"run {n}".encode(), key=None)))
        time.sleep(2)
    deadline = epoch(answers[-1]["deadline"])
    assert ok(call(stack, "GET", "/systems/backup/health"))["status"] == "healthy"
    status, seen_at = "healthy", None
    while time.time() < deadline + WAIT_PAST_DEADLINE_SECONDS:
        status = ok(call(stack, "GET", "/systems/backup/health"))["status"]
        if status == "unhealthy":
            seen_at = time.time()
            break
        time.sleep(0.5)
    # then it went unhealthy at the deadline, not before: the missed run is dated at the deadline and the
    # transition was recorded within one tick of it
    assert status == "unhealthy"
    assert seen_at >= deadline
    runs = ok(call(stack, "GET", "/systems/backup/checks/backup-beat/runs"))["items"]
    assert sorted(r["status"] for r in runs) == ["healthy"] * 4 + ["unhealthy"]
    (missed,) = [r for r in runs if r["status"] == "unhealthy"]
    assert missed["error"]["code"] == "HEARTBEAT_LATE"
    assert epoch(missed["timestamp"]) == deadline
    transitions = ok(call(stack, "GET", "/systems/backup/transitions"))["items"]
    latest = transitions[0]
    assert (latest["previousStatus"], latest["newStatus"]) == ("healthy", "unhealthy")
    assert deadline <= epoch(latest["at"]) <= deadline + TICK_SECONDS
