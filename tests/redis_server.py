"""Throwaway `redis-server` processes on 127.0.0.1 for tests, and the session fixture `redis_url`.

Use it from a conftest with `from tests.redis_server import redis_url  # noqa: F401`.
Without `redis-server` on PATH the tests skip, unless `CI` is set: then they fail.
The servers are the local twin's (`local/redis_server.py`): no persistence, gone with their starter.
"""

import os
from collections.abc import Iterator

import pytest

from local import redis_server
from local.redis_server import RedisServer

__all__ = ["RedisServer", "redis_server_path", "redis_url", "start_redis"]


def redis_server_path() -> str:
    """The `redis-server` executable; skips the test (fails it on CI) when there is none."""
    path = redis_server.redis_server_executable()
    if path is None:
        message = "redis-server is not on PATH (apt-get install -y redis-server, or `make` installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def start_redis(port: int | None = None) -> RedisServer:
    """Start a server on 127.0.0.1 (a free port unless given) and return once it answers PING."""
    return redis_server.start_redis(redis_server_path(), port)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """URL of a redis-server shared by the session; tests flush it themselves."""
    server = start_redis()
    try:
        yield server.url
    finally:
        server.stop()
