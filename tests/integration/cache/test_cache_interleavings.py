"""Race scenarios with controlled steps, run against Redis (real server) and DynamoDB (moto)."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.unit.cache.cache_fakes import Loader

NAMESPACE = "status"


class Store:
    """The source of truth: one version per system, read by loaders."""

    def __init__(self) -> None:
        self.versions: dict[str, int] = {}

    def bump(self, key: str) -> None:
        self.versions[key] = self.versions.get(key, 1) + 1

    def loader(self, key: str, *, release: threading.Event | None = None) -> Loader:
        loader = Loader(None, release=release)
        loader.value = {"systemId": key, "version": self.versions.get(key, 1)}
        return loader

    def answer(self, keys) -> dict:
        return {key: {"systemId": key, "version": self.versions.get(key, 1)} for key in keys}

    def stalled_batch(self, started: threading.Event, release: threading.Event):
        """A batch loader that reads the store, then waits for `release` before it answers."""

        def load(keys):
            answer = self.answer(keys)
            started.set()
            assert release.wait(5)
            return answer

        return load

    def counted_batch(self, loaded: list):
        """A batch loader that reads the store when called and records the keys it loaded."""

        def load(keys):
            loaded.extend(keys)
            return self.answer(keys)

        return load

    def read_now(self, key: str):
        """A loader that reads the store when it is called, like the real repository."""
        calls = []

        def load():
            calls.append(key)
            return {"systemId": key, "version": self.versions.get(key, 1)}

        load.calls = calls
        return load


def in_thread(call):
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(call)
    pool.shutdown(wait=False)
    return future


def mutate(harness, store: Store, key: str, how: str) -> None:
    """A mutation: write the store, then invalidate and wait for the acknowledgement."""
    store.bump(key)
    mutator = harness.scope()
    assert (mutator.invalidate(key) if how == "key" else mutator.invalidate_family()) is True


@pytest.mark.parametrize("how", ["key", "family"])
def test_fill_after_invalidation_is_discarded(harness, how):
    # given a reader loading version 1 and stopped before its fill
    store = Store()
    release = threading.Event()
    slow = store.loader("s1", release=release)
    old_read = in_thread(lambda: harness.scope().wrap("s1", slow))
    assert slow.started.wait(5)
    # when the system changes, then the old load finishes
    mutate(harness, store, "s1", how)
    release.set()
    # then the old reader answers what it read, but its fill never reaches the cache
    assert old_read.result(5) == {"systemId": "s1", "version": 1}
    later = store.read_now("s1")
    assert harness.scope().wrap("s1", later) == {"systemId": "s1", "version": 2}
    assert later.calls == ["s1"]


@pytest.mark.parametrize("how", ["key", "family"])
def test_reader_after_mutation_sees_new_value_while_older_load_runs(harness, how):
    # given a load of version 1 in progress in another process
    store = Store()
    release = threading.Event()
    slow = store.loader("s1", release=release)
    old_read = in_thread(lambda: harness.scope().wrap("s1", slow))
    assert slow.started.wait(5)
    # when
    mutate(harness, store, "s1", how)
    fresh = harness.scope().wrap("s1", store.read_now("s1"))
    release.set()
    old_read.result(5)
    # then no reader after the mutation ever sees version 1, and the fresh fill is served
    follower = store.read_now("s1")
    assert fresh == {"systemId": "s1", "version": 2}
    assert harness.scope().wrap("s1", follower) == {"systemId": "s1", "version": 2}
    assert follower.calls == []


def test_loader_started_before_a_mutation_never_repopulates_a_batch(harness):
    # given a batch load of three systems in progress
    store = Store()
    release, started = threading.Event(), threading.Event()
    slow_batch = store.stalled_batch(started, release)
    old_read = in_thread(lambda: harness.scope().wrap_many(["a", "b", "c"], slow_batch))
    assert started.wait(5)
    # when one system changes and the old batch completes
    mutate(harness, store, "b", "key")
    release.set()
    old_read.result(5)
    # then the unchanged systems were filled and the changed one was not
    loaded = []
    answer = harness.scope().wrap_many(["a", "b", "c"], store.counted_batch(loaded))
    assert answer["b"] == {"systemId": "b", "version": 2}
    assert loaded == ["b"]


def test_crashed_lease_holder_delays_readers_at_most_200_ms_and_until_expiry(harness):
    # given a process took the lease and died
    backend = harness.backend()
    backend.acquire(NAMESPACE, ["s1"], "crashed-process", 3_000)
    store = Store()
    scope = harness.scope()
    load = store.read_now("s1")
    # when
    started = time.monotonic()
    first = scope.wrap("s1", load)
    waited = time.monotonic() - started
    second = scope.wrap("s1", load)
    # then readers wait a bounded time and load without filling
    assert first == second == {"systemId": "s1", "version": 1}
    assert len(load.calls) == 2
    assert waited < 0.2 + 1.0
    # when the lease runs out
    harness.expire("s1")
    scope.wrap("s1", load)
    scope.wrap("s1", load)
    # then the next reader takes the lease and fills
    assert len(load.calls) == 3


def test_cache_down_between_lease_and_fill_still_answers(harness):
    # given
    backend = harness.backend()
    scope = harness.scope(backend)
    store = Store()

    def load_while_cache_dies():
        harness.break_backend(backend)
        return {"systemId": "s1", "version": store.versions.get("s1", 1)}

    # when
    answer = scope.wrap("s1", load_while_cache_dies)
    # then
    assert answer == {"systemId": "s1", "version": 1}
    assert harness.metrics.counts["CacheFallThrough"] == 1
    assert harness.logger.messages() == ["cache fall through"]


def test_lost_and_recreated_family_gives_no_stale_hit(harness):
    # given a value filled under a family that was bumped once
    store = Store()
    scope = harness.scope()
    assert scope.invalidate_family()
    assert scope.wrap("s1", store.read_now("s1")) == {"systemId": "s1", "version": 1}
    # when the family counter is lost, the system changes and the family is bumped again
    harness.drop_family()
    mutate(harness, store, "s1", "family")
    # then the value stored under the lost family is not served
    load = store.read_now("s1")
    assert harness.scope().wrap("s1", load) == {"systemId": "s1", "version": 2}
    assert load.calls == ["s1"]


def test_lost_family_alone_turns_every_value_into_a_miss(harness):
    # given
    store = Store()
    harness.scope().wrap("s1", store.read_now("s1"))
    # when
    harness.drop_family()
    load = store.read_now("s1")
    again = store.read_now("s1")
    # then
    assert harness.scope().wrap("s1", load) == {"systemId": "s1", "version": 1}
    harness.scope().wrap("s1", again)
    assert (load.calls, again.calls) == (["s1"], [])


def test_expired_value_is_not_served(harness):
    # given
    store = Store()
    harness.scope().wrap("s1", store.read_now("s1"))
    # when
    harness.expire("s1")
    load = store.read_now("s1")
    harness.scope().wrap("s1", load)
    # then
    assert load.calls == ["s1"]


def test_threads_of_one_process_share_one_load(harness):
    # given one process and a slow load in flight
    scope = harness.scope()
    release = threading.Event()
    slow = Loader({"systemId": "s1", "version": 1}, release=release)
    first = in_thread(lambda: scope.wrap("s1", slow))
    assert slow.started.wait(5)
    second = in_thread(lambda: scope.wrap("s1", slow))
    assert harness.metrics.wait_for("CacheSingleFlightJoined")
    # when
    release.set()
    # then
    assert first.result(5) == second.result(5) == {"systemId": "s1", "version": 1}
    assert slow.calls == 1


@pytest.mark.parametrize("how", ["key", "family"])
def test_batch_over_every_shard_fills_nothing_stale_after_a_mutation(harness, how):
    # given a batch load of 200 systems (every family shard / slot group) stopped before its fill
    store = Store()
    keys = [f"system-{n}" for n in range(200)]
    release, started = threading.Event(), threading.Event()
    slow_batch = store.stalled_batch(started, release)
    old_read = in_thread(lambda: harness.scope().wrap_many(keys, slow_batch))
    assert started.wait(5)
    # when every system changes (the family) or one in the middle of the batch does (its key)
    changed = keys if how == "family" else ["system-117"]
    for key in changed[:-1]:
        store.bump(key)
    mutate(harness, store, changed[-1], how)
    release.set()
    old_read.result(5)
    # then a read after the invalidation returned loads exactly the changed systems and sees them new
    loaded = []
    answer = harness.scope().wrap_many(keys, store.counted_batch(loaded))
    assert sorted(loaded) == sorted(changed)
    assert all(answer[key]["version"] == 2 for key in changed)
    assert all(answer[key]["version"] == 1 for key in set(keys) - set(changed))


def test_readers_after_a_family_change_never_serve_the_old_value_on_any_shard(harness):
    # given every shard warm with version 1
    store = Store()
    keys = [f"system-{n}" for n in range(64)]
    harness.scope().wrap_many(keys, lambda wanted: {k: {"systemId": k, "version": 1} for k in wanted})
    # when the family changes
    for key in keys:
        store.bump(key)
    assert harness.scope().invalidate_family() is True
    # then single reads of each system, in fresh processes, all see version 2
    assert {harness.scope().wrap(key, store.read_now(key))["version"] for key in keys} == {2}
