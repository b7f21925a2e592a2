"""`make run` stopped with SIGTERM in the middle of traffic, then started again on the same data directory."""

import os
import subprocess
import sys
import threading
import time

import pytest

from bench.soak_stack import REPO_ROOT, FlippingTarget, StackProcess, api
from local.run import STOP_BUDGET_SECONDS

WRITERS = 3
ACKNOWLEDGED_BEFORE_STOP = 15
WAIT_SECONDS = 90


@pytest.fixture
def target():
    server = FlippingTarget(period_seconds=3600)
    yield server
    server.shutdown()


def _catalog(stack: StackProcess, target: FlippingTarget) -> str:
    """A system, a check and a satellite assigned to it; returns the satellite's token."""
    calls = [
        ("POST", "/systems", {"id": "restart", "name": "Restart"}),
        ("POST", "/satellites", {"id": "restart-probe", "name": "Probe", "region": "local"}),
        (
            "POST",
            "/configurations",
            {
                "id": "restart-http",
                "name": "Restart HTTP",
                "strategyId": "http",
                "intervalSeconds": 60,
                "config": {"url": f"{target.base_url}/t/0", "method": "GET"},
            },
        ),
        (
            "PUT",
            "/systems/restart/checks/restart-http",
            {"enabled": True, "includeLocal": False, "satelliteIds": ["restart-probe"]},
        ),
    ]
    answers = [api(stack.base_url, stack.admin_key, method, path, body) for method, path, body in calls]
    assert [status for status, _, _ in answers] == [201, 201, 201, 200], answers
    return answers[1][1]["token"]


def _write_until_stopped(stack: StackProcess, writer: int, stop: threading.Event, acknowledged: list) -> None:
    for number in range(10_000):
        if stop.is_set():
            return
        system_id = f"written-{writer}-{number}"
        try:
            status, _, _ = api(
                stack.base_url, stack.admin_key, "POST", "/systems", {"id": system_id, "name": "w"}
            )
        except OSError:
            return
        if status == 201:
            acknowledged.append(system_id)


def _run_agent_once(stack: StackProcess, token: str, spool) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "satellite",
            "--once",
            "--endpoint",
            stack.base_url,
            "--spool",
            str(spool),
            "--allow-private-targets",
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "HC_SATELLITE_TOKEN": token, "PYTHONPATH": f"{REPO_ROOT / 'src'}:{REPO_ROOT}"},
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
        check=False,
    )


def test_every_acknowledged_write_and_every_token_survive_a_sigterm_mid_traffic(tmp_path, target):
    data_dir = tmp_path / "data"
    # given a stack with a satellite's check, and writers creating systems as fast as it answers
    first = StackProcess(data_dir, tmp_path / "first.log", fresh=True, HC_SCHEDULER_TICK_SECONDS="3600")
    acknowledged: list[str] = []
    stop = threading.Event()
    try:
        token = _catalog(first, target)
        writers = [
            threading.Thread(target=_write_until_stopped, args=(first, number, stop, acknowledged))
            for number in range(WRITERS)
        ]
        for writer in writers:
            writer.start()
        deadline = time.monotonic() + WAIT_SECONDS
        while len(acknowledged) < ACKNOWLEDGED_BEFORE_STOP and time.monotonic() < deadline:
            time.sleep(0.1)
        # when it gets SIGTERM while the writers are still writing
        stopped_in = first.terminate()
        stop.set()
        for writer in writers:
            writer.join(WAIT_SECONDS)
    finally:
        stop.set()
        first.kill()
    # then it stopped within the budget, and a restart on the same directory has every acknowledged write
    assert len(acknowledged) >= ACKNOWLEDGED_BEFORE_STOP
    assert stopped_in <= STOP_BUDGET_SECONDS
    second = StackProcess(data_dir, tmp_path / "second.log", HC_SCHEDULER_TICK_SECONDS="3600")
    try:
        assert second.admin_key == first.admin_key
        missing = [
            system_id
            for system_id in acknowledged
            if api(second.base_url, second.admin_key, "GET", f"/systems/{system_id}")[0] != 200
        ]
        assert missing == []
        # and the satellite, with the token it was given before the restart, still fetches and reports
        agent = _run_agent_once(second, token, tmp_path / "spool.sqlite3")
        assert agent.returncode == 0, agent.stdout + agent.stderr
        status, runs, _ = api(
            second.base_url, second.admin_key, "GET", "/systems/restart/checks/restart-http/runs"
        )
        assert status == 200
        assert [run["sourceId"] for run in runs["items"]] == ["restart-probe"]
    finally:
        second.terminate()
        second.kill()
