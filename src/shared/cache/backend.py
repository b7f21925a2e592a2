"""The storage protocol a cache backend implements; the shared logic lives in `CachedScope`."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

Value = dict[str, Any]


@dataclass(frozen=True)
class Hit:
    """The key holds data of the current family."""

    value: Value


@dataclass(frozen=True)
class Leased:
    """The key now holds our lease; a fill must carry the family observed when it was granted."""

    family: str


@dataclass(frozen=True)
class Held:
    """The key holds someone else's live lease of the current family."""

    token: str


Outcome = Hit | Leased | Held


class CacheBackend(Protocol):
    """Storage side of the status cache. Every method may raise; the scope turns errors into fall-throughs."""

    def lookup(self, namespace: str, keys: Sequence[str]) -> dict[str, Value]:
        """Current-family data for the keys that hold it, read together with the family in one round trip."""
        ...

    def acquire(self, namespace: str, keys: Sequence[str], token: str, lease_ms: int) -> dict[str, Outcome]:
        """For each key atomically: current data, or a lease for `token`, or the live lease of another."""
        ...

    def fill(
        self, namespace: str, token: str, fills: Mapping[str, tuple[str, Value | None]], ttl_ms: int
    ) -> None:
        """Store (family, value) where the key still holds our lease; a None value only drops the lease."""
        ...

    def invalidate(self, namespace: str, key: str) -> None:
        """Drop the key's data and any outstanding lease."""
        ...

    def invalidate_family(self, namespace: str) -> None:
        """Make every key of the namespace stale in O(1)."""
        ...
