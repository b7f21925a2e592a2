"""A throwaway `redis-server` on 127.0.0.1: the local twin's status cache, and the tests' and benchmarks'.

Nothing is persisted (`--save ''`, `--appendonly no`): every start is an empty cache. The server runs
in a session of its own, so a Ctrl-C or a SIGTERM sent to the starter's process group does not end it
before its owner has finished with it; its owner stops it. On Linux it also gets SIGKILL when the
thread that started it ends (`PR_SET_PDEATHSIG`), so it never outlives a starter that was killed
(start it from a thread that lives as long as the server should: the main thread in `make run`).
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from local.process_lifetime import die_with_parent

START_TIMEOUT_SECONDS = 10.0


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen
    workdir: tempfile.TemporaryDirectory

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        """Kill the server: nothing it holds is kept, so there is nothing to shut down cleanly."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.workdir.cleanup()


def redis_server_executable() -> str | None:
    """The `redis-server` on PATH, or None."""
    return shutil.which("redis-server")


def start_redis(executable: str, port: int | None = None, options: Sequence[str] = ()) -> RedisServer:
    """Start a server on 127.0.0.1 (a free port unless given) and return once it answers PING."""
    attempts = 1 if port is not None else 3
    for _ in range(attempts):
        chosen = port or _free_port()
        workdir = tempfile.TemporaryDirectory(prefix="redis-")
        process = subprocess.Popen(
            [
                executable,
                "--port", str(chosen),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", workdir.name,
                "--logfile", "",
                *options,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_dies_with_this_thread(),
        )  # fmt: skip
        server = RedisServer(chosen, process, workdir)
        if _wait_for_ping(server):
            return server
        server.stop()
    raise RuntimeError("redis-server did not start")


def _dies_with_this_thread() -> Callable[[], None]:
    """A preexec_fn: the child is SIGKILLed when the starting thread ends (`local.process_lifetime`)."""
    return functools.partial(die_with_parent, os.getpid())


def _wait_for_ping(server: RedisServer) -> bool:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=0.5) as connection:
                connection.sendall(b"*1\r\n$4\r\nPING\r\n")
                if connection.recv(16).startswith(b"+PONG"):
                    return True
        except OSError:
            pass
        time.sleep(0.02)
    return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
