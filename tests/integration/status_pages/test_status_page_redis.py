"""The status page through the Redis status cache: renders and cards are stored as JSON and a
health change still shows at once."""

from __future__ import annotations

import redis

from tests.integration.api.stack import created, reconfigure
from tests.integration.heartbeats.conftest import ping, three_systems


def test_a_page_served_from_redis_shows_a_health_change_at_once(stack, clock, redis_url):
    # given the Redis backend, and a page rendered once (so cached)
    redis.Redis.from_url(redis_url).flushdb()
    reconfigure(stack, CACHE_BACKEND="redis", REDIS_URL=redis_url)
    from shared.services.context import default_collaborators

    default_collaborators().clock = clock
    three_systems(stack, clock)
    first = stack.call("GET", "/status/acme.json", key=None).body
    cached = redis.Redis.from_url(redis_url).keys("*statuspage*")
    # when db recovers
    token = created(stack.call("POST", "/systems/db/checks/db-beat/ping-token"))["token"]
    clock.advance(5)
    ping(stack, token)
    # then
    again = stack.call("GET", "/status/acme.json", key=None).body
    assert [s["status"] for s in first["systems"]] == ["healthy", "unhealthy", "degraded"]
    assert [s["status"] for s in again["systems"]] == ["healthy", "healthy", "degraded"]
    assert cached
    assert "Acme status" in stack.call("GET", "/status/acme", key=None).body
