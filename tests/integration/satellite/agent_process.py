"""Start `python -m satellite` as a real process, and wait for conditions without fixed sleeps."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[3]
POLL_SECONDS = 0.02


async def start_agent(
    *arguments: str, token: str, log_path: Path, extra_env: dict[str, str] | None = None
) -> asyncio.subprocess.Process:
    environment = {name: value for name, value in os.environ.items() if not name.startswith("HC_SATELLITE_")}
    environment.update(
        {"PYTHONPATH": str(REPO_ROOT / "src"), "HC_SATELLITE_TOKEN": token, **(extra_env or {})}
    )
    with log_path.open("ab") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "satellite",
            *arguments,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
            env=environment,
            cwd=REPO_ROOT,
        )


async def exit_code_of(process: asyncio.subprocess.Process, *, timeout: float = 20) -> int:
    try:
        async with asyncio.timeout(timeout):
            return await process.wait()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise


async def eventually(condition: Callable[[], bool], *, timeout: float = 15, what: str) -> None:
    for _ in range(int(timeout / POLL_SECONDS)):
        if condition():
            return
        await asyncio.sleep(POLL_SECONDS)
    raise AssertionError(f"gave up waiting: {what}")


def log_lines(log_path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
