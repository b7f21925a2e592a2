"""Build the status cache a process uses, from settings. Backends with heavy imports load lazily."""

import threading
from collections.abc import Callable
from typing import Any

from shared.cache.backend import CacheBackend
from shared.cache.memory_backend import MemoryBackend
from shared.cache.null_backend import NullBackend
from shared.cache.scope import CachedScope

STATUS_NAMESPACE = "status"

_memory: MemoryBackend | None = None
_memory_lock = threading.Lock()


def build_cache(
    settings: Any,
    *,
    dynamodb_client_factory: Callable[[], Any],
    namespace: str = STATUS_NAMESPACE,
) -> CachedScope:
    """The cached scope selected by `settings.cache_backend` ("redis" | "dynamodb" | "memory" | "none")."""
    return CachedScope(
        _backend(settings, dynamodb_client_factory), namespace, ttl_seconds=settings.cache_ttl_seconds
    )


def _backend(settings: Any, dynamodb_client_factory: Callable[[], Any]) -> CacheBackend:
    match settings.cache_backend:
        case "redis":
            if not settings.redis_url:
                raise ValueError("CACHE_BACKEND=redis needs REDIS_URL")
            from shared.cache.redis_backend import RedisBackend

            return RedisBackend(settings.redis_url)
        case "dynamodb":
            from shared.cache.dynamodb_backend import DynamoDBBackend

            return DynamoDBBackend(dynamodb_client_factory(), settings.cache_table_name)
        case "memory":
            return memory_backend()
        case "none":
            return NullBackend()
    raise ValueError(f"unknown cache backend {settings.cache_backend!r}")


def memory_backend() -> MemoryBackend:
    """The process-wide memory backend, shared by every invocation of a warm process."""
    global _memory
    with _memory_lock:
        if _memory is None:
            _memory = MemoryBackend()
        return _memory


def reset_memory_backend() -> None:
    """Forget the process-wide memory backend (tests)."""
    global _memory
    with _memory_lock:
        _memory = None
