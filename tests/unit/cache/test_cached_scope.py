import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from shared.cache import CachedScope, Held, MemoryBackend
from shared.cache.scope import BREAKER_OPEN_SECONDS, WAIT_SCHEDULE
from tests.unit.cache.cache_fakes import FakeClock, Loader, RecordingLogger, RecordingMetrics, RecordingSleep

V1 = {"systemId": "s1", "status": "healthy", "version": 1}
V2 = {"systemId": "s1", "status": "unhealthy", "version": 2}


class SpyBackend(MemoryBackend):
    """A memory backend that signals when a caller found someone else's lease."""

    def __init__(self) -> None:
        super().__init__()
        self.saw_lease = threading.Event()

    def acquire(self, namespace, keys, token, lease_ms):
        outcomes = super().acquire(namespace, keys, token, lease_ms)
        if any(isinstance(outcome, Held) for outcome in outcomes.values()):
            self.saw_lease.set()
        return outcomes


class BrokenBackend:
    """Raises from every method it is told to; counts the calls that reached it."""

    def __init__(self, failing: set[str] | None = None) -> None:
        self.inner = MemoryBackend()
        self.failing = failing or {"lookup", "acquire", "fill", "invalidate", "invalidate_family"}
        self.calls = 0

    def __getattr__(self, name):
        method = getattr(self.inner, name)

        def call(*args, **kwargs):
            self.calls += 1
            if name in self.failing:
                raise ConnectionError("cache down")
            return method(*args, **kwargs)

        return call


@pytest.fixture
def log() -> RecordingLogger:
    return RecordingLogger()


@pytest.fixture
def metrics() -> RecordingMetrics:
    return RecordingMetrics()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def make_scope(log, metrics, clock, sleep):
    def make(backend, ttl_seconds: float = 15) -> CachedScope:
        return CachedScope(
            backend, "status", ttl_seconds, clock=clock, sleep=sleep, logger=log, metrics=metrics
        )

    return make


def run_in_thread(call):
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(call)
    pool.shutdown(wait=False)
    return future


def test_second_read_is_a_hit(make_scope):
    # given
    scope = make_scope(MemoryBackend())
    loader = Loader(V1)
    # when
    first, second = scope.wrap("s1", loader), scope.wrap("s1", loader)
    # then
    assert first == second == V1
    assert loader.calls == 1


def test_absent_value_is_never_cached(make_scope):
    # given
    scope = make_scope(MemoryBackend())
    loader = Loader(None)
    # when
    answers = [scope.wrap("s1", loader), scope.wrap("s1", loader)]
    # then
    assert answers == [None, None]
    assert loader.calls == 2


def test_loader_error_propagates_and_is_not_cached(make_scope):
    # given
    scope = make_scope(MemoryBackend())

    def failing():
        raise RuntimeError("table unavailable")

    # when
    with pytest.raises(RuntimeError, match="table unavailable"):
        scope.wrap("s1", failing)
    loader = Loader(V1)
    # then
    assert scope.wrap("s1", loader) == V1
    assert loader.calls == 1


def test_wrap_many_loads_only_misses_in_one_batch(make_scope):
    # given
    scope = make_scope(MemoryBackend())
    scope.wrap("a", Loader({"id": "a"}))
    batches = []

    def load_many(keys):
        batches.append(keys)
        return {key: {"id": key} for key in keys if key != "ghost"}

    # when
    found = scope.wrap_many(["a", "b", "c", "b", "ghost"], load_many)
    again = scope.wrap_many(["a", "b", "c", "ghost"], load_many)
    # then
    assert found == again == {"a": {"id": "a"}, "b": {"id": "b"}, "c": {"id": "c"}}
    assert batches == [["b", "c", "ghost"], ["ghost"]]


def test_concurrent_callers_share_one_load(make_scope):
    # given a load in progress and a second thread that finds its lease
    backend = SpyBackend()
    scope = make_scope(backend)
    release = threading.Event()
    loader = Loader(V1, release=release)
    first = run_in_thread(lambda: scope.wrap("s1", loader))
    assert loader.started.wait(5)
    second = run_in_thread(lambda: scope.wrap("s1", loader))
    assert backend.saw_lease.wait(5)
    # when
    release.set()
    # then
    assert first.result(5) == second.result(5) == V1
    assert loader.calls == 1


def test_shared_load_error_reaches_every_caller(make_scope):
    # given
    backend = SpyBackend()
    scope = make_scope(backend)
    release = threading.Event()
    started = threading.Event()

    def failing():
        started.set()
        release.wait(5)
        raise RuntimeError("boom")

    first = run_in_thread(lambda: scope.wrap("s1", failing))
    assert started.wait(5)
    second = run_in_thread(lambda: scope.wrap("s1", Loader(V2)))
    assert backend.saw_lease.wait(5)
    # when
    release.set()
    # then
    for future in (first, second):
        with pytest.raises(RuntimeError, match="boom"):
            future.result(5)
    assert scope.wrap("s1", Loader(V2)) == V2


@pytest.mark.parametrize("mutation", ["invalidate", "invalidate_family"])
def test_caller_after_invalidation_never_joins_the_older_load(make_scope, mutation):
    # given a load of the old value in progress
    scope = make_scope(MemoryBackend())
    release = threading.Event()
    old_loader = Loader(V1, release=release)
    old_read = run_in_thread(lambda: scope.wrap("s1", old_loader))
    assert old_loader.started.wait(5)
    # when the value changes and a new caller arrives while the old load still runs
    acknowledged = scope.invalidate("s1") if mutation == "invalidate" else scope.invalidate_family()
    new_loader = Loader(V2)
    new_answer = scope.wrap("s1", new_loader)
    release.set()
    # then
    assert acknowledged
    assert new_answer == V2
    assert new_loader.calls == 1
    assert old_read.result(5) == V1
    assert scope.wrap("s1", Loader(V1)) == V2


@pytest.mark.parametrize("mutation", ["invalidate", "invalidate_family"])
def test_fill_after_invalidation_is_discarded(make_scope, mutation):
    # given
    scope = make_scope(MemoryBackend())
    release = threading.Event()
    old_loader = Loader(V1, release=release)
    old_read = run_in_thread(lambda: scope.wrap("s1", old_loader))
    assert old_loader.started.wait(5)
    # when
    assert scope.invalidate("s1") if mutation == "invalidate" else scope.invalidate_family()
    release.set()
    assert old_read.result(5) == V1
    # then
    reader = Loader(V2)
    assert scope.wrap("s1", reader) == V2
    assert reader.calls == 1


def test_waiter_polls_at_most_200_ms_then_loads_without_filling(make_scope, sleep):
    # given another process holds the lease and never fills
    backend = MemoryBackend()
    backend.acquire("status", ["s1"], "other-process", 3_000)
    scope = make_scope(backend)
    loader = Loader(V1)
    # when
    answers = [scope.wrap("s1", loader), scope.wrap("s1", loader)]
    # then
    assert answers == [V1, V1]
    assert loader.calls == 2
    assert sum(WAIT_SCHEDULE) == pytest.approx(0.2)
    assert sleep.calls == [*WAIT_SCHEDULE, *WAIT_SCHEDULE]


def test_waiter_takes_the_fill_of_the_lease_holder(make_scope, sleep):
    # given another process holds the lease and fills during our wait
    backend = MemoryBackend()
    family = backend.acquire("status", ["s1"], "other-process", 3_000)["s1"].family
    sleep.hook = lambda n: n == 2 and backend.fill("status", "other-process", {"s1": (family, V1)}, 15_000)
    scope = make_scope(backend)
    loader = Loader(V2)
    # when
    answer = scope.wrap("s1", loader)
    # then
    assert answer == V1
    assert loader.calls == 0
    assert len(sleep.calls) == 2


def test_waiter_takes_over_an_expired_lease(make_scope, sleep, clock):
    # given a lease holder that crashed: its lease expires while we wait
    backend = MemoryBackend(clock=clock)
    backend.acquire("status", ["s1"], "crashed", 30)
    sleep.hook = lambda n: clock.advance(0.05)
    scope = make_scope(backend)
    loader = Loader(V1)
    # when
    answers = [scope.wrap("s1", loader), scope.wrap("s1", loader)]
    # then
    assert answers == [V1, V1]
    assert loader.calls == 1
    assert sum(sleep.calls) < 0.2


def test_cache_error_falls_through_and_is_logged_once_per_burst(make_scope, log, metrics):
    # given
    backend = BrokenBackend()
    scope = make_scope(backend)
    loader = Loader(V1)
    # when
    answers = [scope.wrap("s1", loader) for _ in range(2)]
    backend.failing = set()
    scope.wrap("s1", loader)
    backend.failing = {"lookup"}
    scope.wrap("s1", loader)
    # then
    assert answers == [V1, V1]
    assert metrics.counts["CacheFallThrough"] == 3
    assert log.messages() == ["cache fall through", "cache fall through"]
    assert log.records[0][2] == {"namespace": "status", "error": "ConnectionError"}


def test_circuit_breaker_opens_after_three_failures_and_closes_after_five_seconds(make_scope, clock, metrics):
    # given
    backend = BrokenBackend()
    scope = make_scope(backend)
    loader = Loader(V1)
    for _ in range(3):
        assert scope.wrap("s1", loader) == V1
    calls_when_open = backend.calls
    # when the breaker is open
    assert scope.wrap("s1", loader) == V1
    clock.advance(BREAKER_OPEN_SECONDS - 0.01)
    assert scope.wrap("s1", loader) == V1
    # then the cache is skipped
    assert backend.calls == calls_when_open
    # when it closes and the cache is back
    clock.advance(0.02)
    backend.failing = set()
    assert scope.wrap("s1", loader) == V1
    assert scope.wrap("s1", loader) == V1
    # then
    assert backend.calls > calls_when_open
    assert loader.calls == 6
    assert metrics.counts["CacheFallThrough"] == 5


def test_breaker_reopens_when_the_first_call_after_it_still_fails(make_scope, clock):
    # given
    backend = BrokenBackend()
    scope = make_scope(backend)
    for _ in range(3):
        scope.wrap("s1", Loader(V1))
    clock.advance(BREAKER_OPEN_SECONDS)
    # when
    scope.wrap("s1", Loader(V1))
    calls = backend.calls
    scope.wrap("s1", Loader(V1))
    # then
    assert backend.calls == calls


def test_fill_failure_still_answers_the_loaded_value(make_scope, metrics):
    # given
    scope = make_scope(BrokenBackend(failing={"fill"}))
    # when
    answer = scope.wrap("s1", Loader(V1))
    # then
    assert answer == V1
    assert metrics.counts["CacheFallThrough"] == 1


def test_invalidate_retries_then_succeeds(make_scope, sleep):
    # given
    backend = BrokenBackend(failing={"invalidate"})
    attempts = []

    def flaky(namespace, key):
        attempts.append(key)
        if len(attempts) < 3:
            raise TimeoutError("slow")

    backend.invalidate = flaky
    scope = make_scope(backend)
    # when
    acknowledged = scope.invalidate("s1")
    # then
    assert acknowledged
    assert attempts == ["s1", "s1", "s1"]
    assert sleep.calls == [0.02, 0.05]


@pytest.mark.parametrize("mutation", ["invalidate", "invalidate_family"])
def test_invalidate_returns_false_after_bounded_retries(make_scope, log, metrics, mutation):
    # given
    backend = BrokenBackend()
    scope = make_scope(backend)
    # when
    acknowledged = scope.invalidate("s1") if mutation == "invalidate" else scope.invalidate_family()
    # then
    assert acknowledged is False
    assert backend.calls == 3
    assert log.messages() == ["cache invalidation failed"]
    assert metrics.counts["CacheInvalidationFailed"] == 1


def test_data_expires_after_ttl(make_scope, clock):
    # given
    scope = make_scope(MemoryBackend(clock=clock), ttl_seconds=15)
    scope.wrap("s1", Loader(V1))
    # when
    clock.advance(15.01)
    loader = Loader(V2)
    # then
    assert scope.wrap("s1", loader) == V2
    assert loader.calls == 1


def test_cached_values_are_copies(make_scope):
    # given
    scope = make_scope(MemoryBackend())
    first = scope.wrap("s1", Loader({"checks": []}))
    # when
    first["checks"].append("mutated by a caller")
    # then
    assert scope.wrap("s1", Loader(None)) == {"checks": []}
