"""The twin's child processes end with a runtime that was SIGKILLed (local/process_lifetime.py)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.redis_server import redis_server_path

REPO_ROOT = Path(__file__).resolve().parents[3]
WAIT_SECONDS = 10

STARTERS = {
    "redis-server": (
        "from local.redis_server import redis_server_executable, start_redis\n"
        "from local.status_cache import TWIN_REDIS_OPTIONS\n"
        "child = start_redis(redis_server_executable(), options=TWIN_REDIS_OPTIONS)\n"
    ),
    "aws emulation": (
        "from local.aws_server import EmulationProcess\n"
        "child = EmulationProcess.start('us-east-1', name='aws-lifetime', hot_items=10)\n"
        "child.endpoint_url\n"
    ),
    "aws emulation forked from another": (
        "from local.aws_server import EmulationProcess\n"
        "child, _ = EmulationProcess.start_together('us-east-1', [('aws-forked', 0), ('aws-family', 0)])\n"
    ),
}


def process_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


@pytest.mark.parametrize("child", list(STARTERS))
def test_a_child_process_dies_with_a_killed_runtime(child):
    if child == "redis-server":
        redis_server_path()
    # given a process that started one of the twin's child processes
    starter = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import time\n{STARTERS[child]}print(child.pid, flush=True)\ntime.sleep(60)\n",
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": f"{REPO_ROOT / 'src'}:{REPO_ROOT}"},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert starter.stdout is not None
        child_pid = int(starter.stdout.readline())
        assert process_alive(child_pid)
        # when it is killed, with no chance to stop anything
        starter.send_signal(signal.SIGKILL)
        starter.wait(WAIT_SECONDS)
        # then the kernel ends the child too
        deadline = time.monotonic() + WAIT_SECONDS
        while process_alive(child_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not process_alive(child_pid)
    finally:
        starter.kill()
        starter.wait(WAIT_SECONDS)
