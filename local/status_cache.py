"""The twin's status cache (`HC_CACHE_BACKEND`): a Redis when there is one, else the emulation's table.

`auto` (the default) and `redis` use `REDIS_URL` when it is set, else start a `redis-server` of their
own for this run (`local/redis_server.py`); `auto` without either falls back to the template's
DynamoDB cache table in the emulation, `redis` refuses to start. `dynamodb` always uses the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from local.redis_server import RedisServer, redis_server_executable, start_redis
from local.settings import LocalRuntimeSettings

# Eviction may only drop keys whose loss is a miss. Every value and lease is written with a TTL (PX);
# the family keys that label them are written without one. volatile-lru evicts keys with a TTL only, so
# a family key is never dropped while values it guards stay; a dropped value is a miss and a dropped
# lease fails its owner's compare-and-set fill. The bound only guards against a runaway: values live
# CACHE_TTL_SECONDS, so the working set is what was read in the last few seconds.
TWIN_REDIS_OPTIONS = ("--maxmemory", "256mb", "--maxmemory-policy", "volatile-lru")


class CacheBackendUnavailable(RuntimeError):
    """HC_CACHE_BACKEND=redis with neither REDIS_URL nor a redis-server to start."""


@dataclass
class LocalStatusCache:
    """What the functions get (`redis_url` empty: the emulation's cache table) and what serves it."""

    backend: str
    redis_url: str = ""
    server: RedisServer | None = None

    @property
    def location(self) -> str:
        """Where the cache lives, for the banner."""
        if self.server is not None:
            return f"redis-server pid {self.server.pid} at {self.redis_url}, not persisted"
        if self.redis_url:
            return f"REDIS_URL {self.redis_url}"
        return "the template's cache table in the AWS emulation"

    @property
    def pids(self) -> list[int]:
        return [self.server.pid] if self.server is not None else []

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


def start_status_cache(settings: LocalRuntimeSettings) -> LocalStatusCache:
    """The cache `settings` ask for, with the redis-server it needs started."""
    if settings.cache_backend == "dynamodb":
        return LocalStatusCache("dynamodb")
    if settings.redis_url:
        return LocalStatusCache("redis", settings.redis_url)
    executable = redis_server_executable()
    if executable is None:
        if settings.cache_backend == "redis":
            raise CacheBackendUnavailable(
                "HC_CACHE_BACKEND=redis needs redis-server on PATH (`make redis-server` installs it) "
                "or REDIS_URL; HC_CACHE_BACKEND=dynamodb uses the emulation's cache table instead"
            )
        return LocalStatusCache("dynamodb")
    server = start_redis(executable, options=TWIN_REDIS_OPTIONS)
    return LocalStatusCache("redis", server.url, server)
