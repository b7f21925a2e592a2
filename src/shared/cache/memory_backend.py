"""In-process cache backend with the same lease and family semantics as Redis (local runtime, unit tests)."""

import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from shared.cache.backend import Held, Hit, Leased, Outcome, Value


@dataclass(frozen=True)
class _Slot:
    family: int
    until: float
    token: str | None = None
    data: str | None = None


class MemoryBackend:
    """Values are stored as JSON so callers never share mutable dicts with the cache."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._families: dict[str, int] = {}
        self._slots: dict[tuple[str, str], _Slot] = {}

    def lookup(self, namespace: str, keys: Sequence[str]) -> dict[str, Value]:
        with self._lock:
            family = self._families.get(namespace, 0)
            now = self._clock()
            found = {}
            for key in keys:
                slot = self._live(namespace, key, family, now)
                if slot is not None and slot.data is not None:
                    found[key] = json.loads(slot.data)
            return found

    def acquire(self, namespace: str, keys: Sequence[str], token: str, lease_ms: int) -> dict[str, Outcome]:
        with self._lock:
            family = self._families.get(namespace, 0)
            now = self._clock()
            outcomes: dict[str, Outcome] = {}
            for key in keys:
                slot = self._live(namespace, key, family, now)
                if slot is None:
                    self._slots[(namespace, key)] = _Slot(family, now + lease_ms / 1000, token=token)
                    outcomes[key] = Leased(str(family))
                elif slot.data is not None:
                    outcomes[key] = Hit(json.loads(slot.data))
                else:
                    outcomes[key] = Held(slot.token or "")
            return outcomes

    def fill(
        self, namespace: str, token: str, fills: Mapping[str, tuple[str, Value | None]], ttl_ms: int
    ) -> None:
        with self._lock:
            current = self._families.get(namespace, 0)
            now = self._clock()
            for key, (family, value) in fills.items():
                slot = self._slots.get((namespace, key))
                if slot is None or slot.token != token:
                    continue
                if value is None or int(family) != current:
                    del self._slots[(namespace, key)]
                else:
                    self._slots[(namespace, key)] = _Slot(
                        current, now + ttl_ms / 1000, data=json.dumps(value)
                    )

    def invalidate(self, namespace: str, key: str) -> None:
        with self._lock:
            self._slots.pop((namespace, key), None)

    def invalidate_family(self, namespace: str) -> None:
        with self._lock:
            self._families[namespace] = self._families.get(namespace, 0) + 1

    def _live(self, namespace: str, key: str, family: int, now: float) -> _Slot | None:
        slot = self._slots.get((namespace, key))
        if slot is None or slot.until <= now or slot.family != family:
            return None
        return slot
