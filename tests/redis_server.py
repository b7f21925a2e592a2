"""Throwaway `redis-server` processes on 127.0.0.1 for tests, and the session fixture `redis_url`.

Use it from a conftest with `from tests.redis_server import redis_url  # noqa: F401`.
Without `redis-server` on PATH the tests skip, unless `CI` is set: then they fail.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

START_TIMEOUT_SECONDS = 10.0


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen
    workdir: tempfile.TemporaryDirectory

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        """Kill the server (no shutdown handshake: this is also how the "redis stopped" faults are made)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.workdir.cleanup()


def redis_server_path() -> str:
    """The `redis-server` executable; skips the test (fails it on CI) when there is none."""
    path = shutil.which("redis-server")
    if path is None:
        message = "redis-server is not on PATH (apt-get install -y redis-server, or `make` installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def start_redis(port: int | None = None) -> RedisServer:
    """Start a server on 127.0.0.1 (a free port unless given) and return once it answers PING."""
    executable = redis_server_path()
    attempts = 1 if port is not None else 3
    for _ in range(attempts):
        chosen = port or _free_port()
        workdir = tempfile.TemporaryDirectory(prefix="redis-test-")
        process = subprocess.Popen(
            [
                executable,
                "--port", str(chosen),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", workdir.name,
                "--logfile", "",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        server = RedisServer(chosen, process, workdir)
        if _wait_for_ping(server):
            return server
        server.stop()
    raise RuntimeError("redis-server did not start")


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


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """URL of a redis-server shared by the session; tests flush it themselves."""
    server = start_redis()
    try:
        yield server.url
    finally:
        server.stop()
