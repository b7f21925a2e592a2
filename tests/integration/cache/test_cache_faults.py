"""A cache that is stopped, slow or erroring never fails a read (invariant 4)."""

import time

import pytest

from shared.cache import CachedScope
from shared.cache.redis_backend import RedisBackend, new_client
from shared.cache.scope import BREAKER_OPEN_SECONDS
from tests.integration.cache.tcp_faults import DelayProxy, ErrorServer
from tests.redis_server import start_redis
from tests.unit.cache.cache_fakes import FakeClock, RecordingLogger, RecordingMetrics

VALUE = {"systemId": "s1", "status": "healthy"}


def scope_for(url: str, clock=None):
    client = new_client(url)
    logger, metrics = RecordingLogger(), RecordingMetrics()
    scope = CachedScope(
        RedisBackend(client_factory=lambda: client),
        "status",
        clock=clock or FakeClock(),
        logger=logger,
        metrics=metrics,
    )
    return scope, logger, metrics, client


def counting_loader(value=VALUE):
    calls = []

    def load():
        calls.append(1)
        return value

    load.calls = calls
    return load


@pytest.fixture
def server():
    server = start_redis()
    yield server
    server.stop()


def test_stopped_redis_falls_through_and_recovers_after_the_breaker(server):
    # given a warm cache
    clock = FakeClock()
    scope, logger, metrics, client = scope_for(server.url, clock)
    scope.wrap("s1", counting_loader())
    # when the server dies
    server.stop()
    load = counting_loader()
    answers = [scope.wrap("s1", load) for _ in range(5)]
    many = scope.wrap_many(["s1", "s2"], lambda keys: {key: VALUE for key in keys})
    acknowledged = scope.invalidate("s1")
    # then every read is answered by the loader, logged once and counted
    assert answers == [VALUE] * 5
    assert many == {"s1": VALUE, "s2": VALUE}
    assert len(load.calls) == 5
    assert metrics.counts["CacheFallThrough"] == 6
    assert logger.messages() == ["cache fall through", "cache invalidation failed"]
    assert acknowledged is False
    # when a new server comes back on the same port (empty, without our scripts) and the breaker closes
    restarted = start_redis(server.port)
    try:
        clock.advance(BREAKER_OPEN_SECONDS)
        load = counting_loader()
        scope.wrap("s1", load)
        scope.wrap("s1", load)
        # then the cache works again
        assert len(load.calls) == 1
        assert scope.invalidate("s1") is True
    finally:
        client.close()
        restarted.stop()


def test_slow_redis_times_out_and_falls_through(redis_url):
    # given every reply arrives 300 ms late, past the 100 ms socket timeout
    port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    proxy = DelayProxy(port, delay=0.3)
    scope, logger, metrics, client = scope_for(proxy.url)
    try:
        load = counting_loader()
        # when
        started = time.monotonic()
        answers = [scope.wrap("s1", load) for _ in range(4)]
        elapsed = time.monotonic() - started
        # then the loader answers; three timeouts open the breaker, which skips the fourth
        assert answers == [VALUE] * 4
        assert metrics.counts["CacheFallThrough"] == 4
        assert logger.messages() == ["cache fall through"]
        assert elapsed < 3.0
    finally:
        client.close()
        proxy.close()


def test_redis_answering_errors_falls_through(redis_url):
    # given
    server = ErrorServer()
    scope, _logger, metrics, client = scope_for(server.url)
    try:
        # when
        one = scope.wrap("s1", counting_loader())
        many = scope.wrap_many(["a", "b"], lambda keys: {"a": {"id": "a"}})
        # then
        assert one == VALUE
        assert many == {"a": {"id": "a"}}
        assert metrics.counts["CacheFallThrough"] == 2
        assert scope.invalidate_family() is False
    finally:
        client.close()
        server.close()


def test_commands_that_raise_fall_through():
    # given a client whose every command raises
    class Exploding:
        def __getattr__(self, name):
            raise RuntimeError("client broken")

    logger, metrics = RecordingLogger(), RecordingMetrics()
    scope = CachedScope(
        RedisBackend(client_factory=Exploding), "status", clock=FakeClock(), logger=logger, metrics=metrics
    )
    # when
    answer = scope.wrap("s1", counting_loader())
    # then
    assert answer == VALUE
    assert metrics.counts["CacheFallThrough"] == 1
