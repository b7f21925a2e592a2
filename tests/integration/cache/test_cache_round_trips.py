"""Call counts of the protocol: a hit is one round trip, a cold batch a constant few."""

from collections import Counter

from redis.crc import key_slot

from shared.cache.dynamodb_backend import FAMILY_SHARDS
from shared.cache.redis_backend import SLOT_GROUPS
from shared.cache.scope import CachedScope


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


def test_redis_keys_spread_over_slots_with_each_family_in_its_values_slot(redis_harness):
    # given
    keys = [f"system-{n}" for n in range(200)]
    redis_harness.scope().wrap_many(keys, batch_loader)
    # when
    stored = redis_harness.admin.keys("*")
    families = {key_slot(key.encode()) for key in stored if key.endswith(":family")}
    values = {key_slot(key.encode()) for key in stored if ":v:" in key}
    # then sixteen slots, each holding its own family next to its values
    assert len(values) == SLOT_GROUPS
    assert families == values


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


def test_dynamodb_cold_batch_of_1000_is_a_few_dozen_calls(dynamodb_harness):
    # given
    backend = dynamodb_harness.backend()
    scope = dynamodb_harness.scope(backend)
    keys = [f"system-{n}" for n in range(1_000)]
    # when
    cold = scope.wrap_many(keys, batch_loader)
    cold_calls = backend.calls
    warm = scope.wrap_many(keys, lambda missing: {})
    # then reads of 100, leases and fills in transactions of 100 (plus each family shard created once)
    assert cold == warm == batch_loader(keys)
    assert cold_calls <= 11 + 1 + FAMILY_SHARDS + 10 + 10
    assert backend.calls - cold_calls == 11


def test_dynamodb_single_lookups_spread_over_the_family_shards(dynamodb_harness):
    # given
    backend = dynamodb_harness.backend()
    scope = dynamodb_harness.scope(backend)
    keys = [f"system-{n}" for n in range(400)]
    scope.wrap_many(keys, batch_loader)
    reads: list[str] = []

    def count(params, **_):
        reads.extend(k["pk"]["S"] for t in params.get("RequestItems", {}).values() for k in t.get("Keys", []))

    dynamodb_harness.client.meta.events.register("before-parameter-build.dynamodb.BatchGetItem", count)
    # when every system is read on its own
    for key in keys:
        scope.wrap(key, lambda: None)
    # then each read touched one family item, and no family item took more than twice its share
    per_family = Counter(pk for pk in reads if "#family#" in pk)
    assert sum(per_family.values()) == len(keys)
    assert len(per_family) == FAMILY_SHARDS
    assert max(per_family.values()) <= 2 * len(keys) / FAMILY_SHARDS


def test_dynamodb_a_namespace_of_one_owner_is_bumped_in_one_write_and_never_served_stale(dynamodb_harness):
    # given a system's availability answers cached in its own namespace
    backend = dynamodb_harness.backend()
    scope = CachedScope(backend, "availability:shop", logger=dynamodb_harness.logger)
    scope.wrap("365d", lambda: {"availability": 0.99})
    before = backend.calls
    # when a check transition makes them stale
    acknowledged = scope.invalidate_family()
    # then one family item was bumped, and the next read loads afresh
    assert acknowledged and backend.calls - before == 1
    assert scope.wrap("365d", lambda: {"availability": 0.98}) == {"availability": 0.98}
