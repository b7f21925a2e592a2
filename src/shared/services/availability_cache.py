"""Availability answers in the status cache, one namespace per system (`availability:<id>`), so a
new check transition of a system makes all its cached ranges stale with one O(1) family bump."""

from __future__ import annotations

import threading
from collections.abc import Callable

from shared.cache.scope import CachedScope
from shared.services.context import Collaborators

NAMESPACE_PREFIX = "availability:"
KEPT_SCOPES = 1024

_scopes: dict[tuple[int, str], CachedScope] = {}
_lock = threading.Lock()


def _scope(c: Collaborators, system_id: str) -> CachedScope | None:
    backend = getattr(c.cache, "backend", None)
    if backend is None:
        return None
    with _lock:
        key = (id(backend), system_id)
        scope = _scopes.get(key)
        if scope is None:
            if len(_scopes) >= KEPT_SCOPES:
                _scopes.clear()
            scope = CachedScope(
                backend, NAMESPACE_PREFIX + system_id, ttl_seconds=c.settings.cache_ttl_seconds
            )
            _scopes[key] = scope
        return scope


def cached(c: Collaborators, system_id: str, key: str, load: Callable[[], dict | None]) -> dict | None:
    """The cached answer for one range of one system, loaded on a miss (None: no such system)."""
    scope = _scope(c, system_id)
    return load() if scope is None else scope.wrap(key, load)


def forget(c: Collaborators, system_id: str) -> bool:
    """Make every cached availability of the system stale (a check transition was recorded)."""
    scope = _scope(c, system_id)
    return True if scope is None else scope.invalidate_family()
