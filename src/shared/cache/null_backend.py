"""Cache disabled: every read loads, every invalidation is acknowledged at once."""

from collections.abc import Mapping, Sequence

from shared.cache.backend import Leased, Outcome, Value


class NullBackend:
    """Grants every lease and stores nothing, so `CachedScope` always calls the loader."""

    def lookup(self, namespace: str, keys: Sequence[str]) -> dict[str, Value]:
        return {}

    def acquire(self, namespace: str, keys: Sequence[str], token: str, lease_ms: int) -> dict[str, Outcome]:
        return {key: Leased("0") for key in keys}

    def fill(
        self, namespace: str, token: str, fills: Mapping[str, tuple[str, Value | None]], ttl_ms: int
    ) -> None:
        return None

    def invalidate(self, namespace: str, key: str) -> None:
        return None

    def invalidate_family(self, namespace: str) -> None:
        return None
