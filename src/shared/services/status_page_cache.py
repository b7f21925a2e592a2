"""The status pages' own namespace of the status cache: a page's settings under `page:<slug>`
(invalidated when the page changes), each listed system's card under `card:<id>:<evaluatedAt>`, and
whole renders under `render:<slug>:<kind>:<digest of page version, evaluations, minute>`: keys that
change whenever a listed system's health is re-evaluated or the page changes, so nothing served is
older than the health it was built with (maintenance windows and bars within the cache TTL)."""

from __future__ import annotations

import threading
from typing import Any

from shared.cache.scope import CachedScope
from shared.services.context import Collaborators

NAMESPACE = "statuspage"

_scopes: dict[int, CachedScope] = {}
_lock = threading.Lock()


def page_key(slug: str) -> str:
    """The cache key of a status page's resolved content."""
    return f"page:{slug}"


def render_key(slug: str, kind: str, digest: str) -> str:
    """The cache key of one rendering (html, json, badge) of a page's content."""
    return f"render:{slug}:{kind}:{digest}"


def card_key(system_id: str, evaluated_at: str) -> str:
    """The cache key of a system's card as of its last evaluation."""
    return f"card:{system_id}:{evaluated_at}"


def page_cache(c: Collaborators) -> Any:
    """A CachedScope on the status cache's backend (the status cache itself when it has no backend)."""
    backend = getattr(c.cache, "backend", None)
    if backend is None:
        return c.cache
    with _lock:
        scope = _scopes.get(id(backend))
        if scope is None:
            scope = CachedScope(backend, NAMESPACE, ttl_seconds=c.settings.cache_ttl_seconds)
            _scopes[id(backend)] = scope
        return scope
