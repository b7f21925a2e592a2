"""The twin's status cache (HC_CACHE_BACKEND): its own redis-server by default, the table on request."""

import os
from pathlib import Path

import pytest
import redis

from local import status_cache
from local.run import main, start_local_stack
from local.settings import LocalRuntimeSettings
from local.status_cache import CacheBackendUnavailable, start_status_cache
from tests.integration.local_runtime.test_process_lifetime import process_alive
from tests.integration.twin_http import call, ok
from tests.redis_server import redis_server_path

ADMIN_KEY = "cache-test-admin-key"
REPO_ROOT = Path(__file__).resolve().parents[3]
WAIT_SECONDS = 10


def _settings(**values: str | None) -> LocalRuntimeSettings:
    # REDIS_URL and HC_CACHE_BACKEND are given, so the test does not depend on the caller's environment.
    base = {"REDIS_URL": "", "HC_CACHE_BACKEND": "auto"}
    return LocalRuntimeSettings(HC_PORT=0, HC_ADMIN_API_KEY=ADMIN_KEY, HC_DATA_DIR=None, **(base | values))


def _read_health_of_a_new_system(stack, system_id: str) -> None:
    ok(call(stack.base_url, "POST", "/systems", {"id": system_id, "name": "Cached"}, key=ADMIN_KEY))
    ok(call(stack.base_url, "GET", f"/systems/{system_id}/health", key=ADMIN_KEY))


def _function_environment(stack) -> dict[str, str]:
    return stack.emulation.environment_for(stack.emulation.template.function("ApiReadsFunction"))


def test_the_twin_serves_health_reads_through_its_own_redis_server_and_ends_it_on_stop():
    redis_server_path()
    # given a twin started with the default settings on a machine with redis-server
    stack = start_local_stack(tick_seconds=3600, settings=_settings(), event_printer=lambda line: None)
    try:
        server = stack.status_cache.server
        assert server is not None
        assert stack.emulation.cache_backend == "redis"
        assert _function_environment(stack)["REDIS_URL"] == server.url
        assert f"redis-server pid {server.pid}" in stack.status_cache.location
        # when a system's health is read
        _read_health_of_a_new_system(stack, "cached-in-redis")
        # then the answer was filled into that Redis
        client = redis.Redis.from_url(server.url, decode_responses=True)
        values = [client.get(key) for key in client.scan_iter(match="*:v:cached-in-redis")]
        client.close()
        assert len(values) == 1
        assert values[0].startswith("D:")
    finally:
        stack.stop()
    # and the stop ended the redis-server
    assert not process_alive(server.pid)
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(server.url, socket_connect_timeout=1).ping()


def test_hc_cache_backend_dynamodb_keeps_the_emulations_cache_table_even_with_a_redis_url():
    # given a twin told to use the table, with a REDIS_URL in its environment
    settings = _settings(HC_CACHE_BACKEND="dynamodb", REDIS_URL="redis://127.0.0.1:9/0")
    stack = start_local_stack(tick_seconds=3600, settings=settings, event_printer=lambda line: None)
    try:
        assert stack.status_cache.server is None
        assert stack.emulation.cache_backend == "dynamodb"
        environment = _function_environment(stack)
        assert environment["REDIS_URL"] == ""
        # when a system's health is read
        _read_health_of_a_new_system(stack, "cached-in-the-table")
        # then the answer was filled into the emulation's cache table
        items = stack.emulation.client("dynamodb").scan(TableName=environment["CACHE_TABLE_NAME"])["Items"]
        assert any("cached-in-the-table" in str(item) for item in items)
    finally:
        stack.stop()


def test_redis_without_a_server_or_a_url_refuses_to_start_and_auto_falls_back_to_the_table(
    monkeypatch, tmp_path, capsys
):
    # given a machine without redis-server
    monkeypatch.setattr(status_cache, "redis_server_executable", lambda: None)
    # then auto uses the table, and redis refuses with a message naming what is missing
    assert start_status_cache(_settings()).backend == "dynamodb"
    with pytest.raises(CacheBackendUnavailable, match=r"redis-server on PATH .* or REDIS_URL"):
        start_status_cache(_settings(HC_CACHE_BACKEND="redis"))
    # and `make run` says so and exits before starting anything
    for name, value in {"HC_CACHE_BACKEND": "redis", "REDIS_URL": "", "HC_DATA_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MALLOC_ARENA_MAX", os.environ.get("MALLOC_ARENA_MAX", "2"))
    assert main() == 2
    assert "HC_CACHE_BACKEND=redis needs redis-server" in capsys.readouterr().err
