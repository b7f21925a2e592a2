"""Call counts of the protocol: a hit is one round trip, a cold batch a constant few."""

from tests.integration.cache.cache_harness import NAMESPACE


def batch_loader(keys):
    return {key: {"systemId": key} for key in keys}


def test_redis_hit_is_one_round_trip(redis_harness):
    # given
    backend = redis_harness.backend()
    scope = redis_harness.scope(backend)
    scope.wrap("s1", lambda: {"systemId": "s1"})
    before = backend.round_trips
    # when
    scope.wrap("s1", lambda: None)
    # then
    assert backend.round_trips - before == 1


def test_redis_cold_batch_of_1000_takes_at_most_four_round_trips(redis_harness):
    # given a process that has not talked to the server yet
    backend = redis_harness.backend()
    scope = redis_harness.scope(backend)
    keys = [f"system-{n}" for n in range(1_000)]
    # when
    cold = scope.wrap_many(keys, batch_loader)
    cold_trips = backend.round_trips
    warm = scope.wrap_many(keys, lambda missing: {})
    # then
    assert cold == warm == batch_loader(keys)
    assert cold_trips <= 4
    assert backend.round_trips - cold_trips == 1


def test_redis_keys_share_one_hash_slot(redis_harness):
    # given
    redis_harness.scope().wrap_many(["a", "b"], batch_loader)
    # when
    keys = sorted(redis_harness.admin.keys("*"))
    # then
    assert keys == [
        f"healthcheck:{{{NAMESPACE}}}:family",
        *(f"healthcheck:{{{NAMESPACE}}}:v:{k}" for k in "ab"),
    ]


def test_dynamodb_hit_is_one_consistent_batch_read(dynamodb_harness):
    # given
    backend = dynamodb_harness.backend()
    scope = dynamodb_harness.scope(backend)
    keys = [f"system-{n}" for n in range(250)]
    scope.wrap_many(keys, batch_loader)
    scope.wrap("one", lambda: {"systemId": "one"})
    before = backend.calls
    # when
    one = scope.wrap("one", lambda: None)
    after_one = backend.calls
    many = scope.wrap_many(keys, lambda missing: {})
    # then
    assert one == {"systemId": "one"}
    assert after_one - before == 1
    assert many == batch_loader(keys)
    assert backend.calls - after_one == 3
