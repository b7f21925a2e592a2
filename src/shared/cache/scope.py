"""`CachedScope`: read-through caching with single flight, bounded waiting and a circuit breaker."""

import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from shared.cache.backend import CacheBackend, Held, Hit, Leased, Outcome, Value

LEASE_SECONDS = 3.0
# Sleeps between polls for another process's fill; their sum bounds the wait at 200 ms.
WAIT_SCHEDULE = (0.01, 0.02, 0.04, 0.08, 0.05)
BREAKER_THRESHOLD = 3
BREAKER_OPEN_SECONDS = 5.0
INVALIDATE_ATTEMPTS = 3
INVALIDATE_BACKOFF = (0.02, 0.05)

Loader = Callable[[], Value | None]
LoaderMany = Callable[[list[str]], Mapping[str, Value | None]]


class _Flight:
    """One in-process load of one key under one lease; threads that find that lease share its outcome."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self._value: Value | None = None
        self._error: BaseException | None = None
        self._abandoned = False

    def succeed(self, value: Value | None) -> None:
        self._value = value
        self._done.set()

    def fail(self, error: BaseException) -> None:
        self._error = error
        self._done.set()

    def abandon(self) -> None:
        if not self._done.is_set():
            self._abandoned = True
            self._done.set()

    def wait(self) -> tuple[bool, Value | None]:
        """(True, value) once the load finished; (False, None) if it never ran."""
        self._done.wait()
        if self._error is not None:
            raise self._error
        return (not self._abandoned, self._value)


class CachedScope:
    """Read-through cache of one namespace. Thread-safe; a read never fails because of the cache."""

    def __init__(
        self,
        backend: CacheBackend,
        namespace: str,
        ttl_seconds: float = 15,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        logger: Any = None,
        metrics: Any = None,
    ) -> None:
        if logger is None or metrics is None:
            from shared.observability import logger as default_logger
            from shared.observability import metrics as default_metrics

            logger = logger or default_logger
            metrics = metrics or default_metrics
        self.backend = backend
        self.namespace = namespace
        self._ttl_ms = max(1, int(ttl_seconds * 1000))
        self.ttl_seconds = self._ttl_ms / 1000
        self._lease_ms = int(LEASE_SECONDS * 1000)
        self._clock = clock
        self._sleep = sleep
        self._logger = logger
        self._metrics = metrics
        self._lock = threading.Lock()
        self._flights: dict[tuple[str, str], _Flight] = {}
        self._failures = 0
        self._open_until = float("-inf")
        self._burst_logged = False

    def wrap(self, key: str, loader: Loader) -> Value | None:
        """The cached value of `key`, loading (and filling) it on a miss; None is never cached."""

        def load_one(_: list[str]) -> dict[str, Value | None]:
            return {key: loader()}

        return self.wrap_many([key], load_one).get(key)

    def wrap_many(self, keys: list[str], loader_many: LoaderMany) -> dict[str, Value]:
        """Cached values of `keys` with one batched load of the misses; keys the loader omits are absent."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        if self._breaker_open():
            self._fall_through(None)
            return _load(wanted, loader_many)
        try:
            found = self.backend.lookup(self.namespace, wanted)
        except Exception as error:
            self._fall_through(error)
            return _load(wanted, loader_many)
        self._cache_ok()
        misses = [key for key in wanted if key not in found]
        if misses:
            found.update(self._resolve_misses(misses, loader_many))
        return {key: found[key] for key in wanted if key in found}

    @property
    def max_staleness_seconds(self) -> float:
        """How long a value loaded before a change can still be served if its invalidation never came:
        a fill started under a lease lands at most a lease later and lives one TTL."""
        return (self._ttl_ms + self._lease_ms) / 1000

    def invalidate(self, key: str) -> bool:
        """Drop one key; True once the backend acknowledged it. Never raises."""
        return self._invalidate(lambda: self.backend.invalidate(self.namespace, key), scope="key")

    def invalidate_family(self) -> bool:
        """Make every key of the namespace stale; True once the backend acknowledged it. Never raises."""
        return self._invalidate(lambda: self.backend.invalidate_family(self.namespace), scope="family")

    def _invalidate(self, call: Callable[[], None], *, scope: str) -> bool:
        # Invalidation ignores the breaker: a mutation must try to reach the cache even when reads skip it.
        for attempt in range(INVALIDATE_ATTEMPTS):
            try:
                call()
            except Exception as error:
                last_error = error
                if attempt < len(INVALIDATE_BACKOFF):
                    self._sleep(INVALIDATE_BACKOFF[attempt])
                continue
            return True
        self._logger.warning(
            "cache invalidation failed",
            namespace=self.namespace,
            scope=scope,
            error=type(last_error).__name__,
        )
        self._metrics.add_metric(name="CacheInvalidationFailed", unit=MetricUnit.Count, value=1)
        return False

    def _resolve_misses(self, misses: list[str], loader: LoaderMany) -> dict[str, Value]:
        token = uuid.uuid4().hex
        # Flights are registered before the lease exists so a thread that sees the lease always finds them.
        flights = {key: _Flight() for key in misses}
        with self._lock:
            for key, flight in flights.items():
                self._flights[(key, token)] = flight
        try:
            return self._resolve_registered(misses, loader, token, flights)
        finally:
            with self._lock:
                for key, flight in flights.items():
                    flight.abandon()
                    self._flights.pop((key, token), None)

    def _resolve_registered(
        self, misses: list[str], loader: LoaderMany, token: str, flights: dict[str, _Flight]
    ) -> dict[str, Value]:
        result: dict[str, Value] = {}
        joined: dict[str, _Flight] = {}
        try:
            leased, pending = self._acquire(misses, token, result, joined)
        except Exception as error:
            self._fall_through(error)
            return _load(misses, loader)
        if leased:
            result.update(self._load_and_fill(leased, (), token, flights, loader))
        if pending:
            result.update(self._wait_then_load(pending, token, flights, result, joined, loader))
        unfinished = []
        for key, flight in joined.items():
            finished, value = flight.wait()
            if not finished:
                unfinished.append(key)
            elif value is not None:
                result[key] = value
        if unfinished:
            result.update(_load(unfinished, loader))
        return result

    def _acquire(
        self, keys: list[str], token: str, result: dict[str, Value], joined: dict[str, _Flight]
    ) -> tuple[dict[str, str], list[str]]:
        """Ask for leases; hits go to `result`, in-process loads to `joined`. Returns (leased, still held)."""
        outcomes: dict[str, Outcome] = self.backend.acquire(self.namespace, keys, token, self._lease_ms)
        self._cache_ok()
        leased: dict[str, str] = {}
        held: list[str] = []
        already_joined = len(joined)
        for key in keys:
            match outcomes[key]:
                case Hit(value):
                    result[key] = value
                case Leased(family):
                    leased[key] = family
                case Held(holder):
                    with self._lock:
                        flight = self._flights.get((key, holder))
                    if flight is not None:
                        joined[key] = flight
                    else:
                        held.append(key)
        if joins := len(joined) - already_joined:  # loads saved; tests also wait on it (a public signal)
            self._metrics.add_metric(name="CacheSingleFlightJoined", unit=MetricUnit.Count, value=joins)
        return leased, held

    def _wait_then_load(
        self,
        pending: list[str],
        token: str,
        flights: dict[str, _Flight],
        result: dict[str, Value],
        joined: dict[str, _Flight],
        loader: LoaderMany,
    ) -> dict[str, Value]:
        """Poll for another process's fill for at most 200 ms, then load what is left without filling."""
        leased: dict[str, str] = {}
        for delay in WAIT_SCHEDULE:
            self._sleep(delay)
            try:
                more_leased, pending = self._acquire(pending, token, result, joined)
            except Exception as error:
                self._fall_through(error)
                break
            leased.update(more_leased)
            if not pending:
                break
        if not leased:
            return _load(pending, loader)
        return self._load_and_fill(leased, pending, token, flights, loader)

    def _load_and_fill(
        self,
        leased: dict[str, str],
        unleased: Iterable[str],
        token: str,
        flights: dict[str, _Flight],
        loader: LoaderMany,
    ) -> dict[str, Value]:
        try:
            loaded = _load([*leased, *unleased], loader)
        except BaseException as error:
            for key in leased:
                flights[key].fail(error)
            self._quietly_fill(token, {key: (family, None) for key, family in leased.items()})
            raise
        for key in leased:
            flights[key].succeed(loaded.get(key))
        self._quietly_fill(token, {key: (family, loaded.get(key)) for key, family in leased.items()})
        return loaded

    def _quietly_fill(self, token: str, fills: dict[str, tuple[str, Value | None]]) -> None:
        try:
            self.backend.fill(self.namespace, token, fills, self._ttl_ms)
        except Exception as error:
            self._fall_through(error)
        else:
            self._cache_ok()

    def _breaker_open(self) -> bool:
        with self._lock:
            return self._clock() < self._open_until

    def _cache_ok(self) -> None:
        with self._lock:
            self._failures = 0
            self._burst_logged = False

    def _fall_through(self, error: Exception | None) -> None:
        with self._lock:
            if error is not None:
                self._failures += 1
                if self._failures >= BREAKER_THRESHOLD:
                    self._open_until = self._clock() + BREAKER_OPEN_SECONDS
            first_of_burst = not self._burst_logged
            self._burst_logged = True
            self._metrics.add_metric(name="CacheFallThrough", unit=MetricUnit.Count, value=1)
        if first_of_burst:
            self._logger.warning(
                "cache fall through",
                namespace=self.namespace,
                error=type(error).__name__ if error is not None else "BreakerOpen",
            )


def _load(keys: list[str], loader: LoaderMany) -> dict[str, Value]:
    if not keys:
        return {}
    answer = loader(keys)
    return {key: answer[key] for key in keys if answer.get(key) is not None}
