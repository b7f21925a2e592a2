"""A cache that never acknowledges an invalidation holds the events back (API.md: events follow the
acknowledgement); they go out once no value cached before the change can still be served, never with
`cacheInvalidated: false`. The next recording of the system publishes them (services/outbox.py)."""

import pytest

from shared.services import context, outbox
from tests.integration.api.stack import add_configuration, add_system, assign
from tests.integration.satellite_api.fleet import add_satellite, hold_clock, post_results, result

RUN_COMPLETED = "Health Check Run Completed"
ASSIGNMENT_CHANGED = "Health Check Assignment Changed"


class Partitioned:
    """A cache backend on the far side of a network partition: every call fails."""

    def __getattr__(self, name):
        def unreachable(*_, **__):
            raise ConnectionError("cache unreachable")

        return unreachable


@pytest.fixture
def shop(stack):
    clock = hold_clock()
    eu = add_satellite(stack, "eu-1")
    add_system(stack, "shop")
    add_configuration(stack, "web")
    assign(stack, "shop", "web", {"satelliteIds": ["eu-1"], "includeLocal": False})
    stack.published.events.clear()
    cache = context.default_collaborators().cache
    healthy = cache.backend
    yield stack, clock, eu, cache, healthy
    cache.backend = healthy


def test_events_are_held_through_a_partition_and_published_once_the_cache_cannot_be_stale(shop):
    # given: the cache is partitioned; a value cached before a change lives at most this long
    stack, clock, eu, cache, healthy = shop
    cache.backend = Partitioned()
    staleness = cache.max_staleness_seconds
    first_at = clock.now
    # when: a result lands (its recording reads the system's outbox), then another before the bound
    assert post_results(stack, eu, [result("shop", "web", clock.now, result_id="r1")]).status == 200
    clock.advance(seconds=staleness / 2)
    assert post_results(stack, eu, [result("shop", "web", clock.now, result_id="r2")]).status == 200
    # then: nothing is published yet
    assert stack.published.events == []
    # when: past the second result's bound, once the check's outbox read is due again, a third lands
    clock.advance(seconds=(first_at + outbox.OWNED_FOR - clock.now).total_seconds() + 1)
    post_results(stack, eu, [result("shop", "web", clock.now, result_id="r3")])
    # then: the first two results' events went out; the third's are held
    assert len(stack.published.of_type(RUN_COMPLETED)) == 2
    # when: the partition heals and, at the next outbox read, a fourth result lands
    cache.backend = healthy
    clock.advance(seconds=outbox.OWNED_FOR.total_seconds() + 1)
    post_results(stack, eu, [result("shop", "web", clock.now, result_id="r4")])
    # then: every result's events are out, once each, and none says the cache was not invalidated
    assert len(stack.published.of_type(RUN_COMPLETED)) == 4
    assert all(e.detail["cacheInvalidated"] is True for e in stack.published.events)


def test_held_events_wait_for_the_checks_next_outbox_read_not_longer(shop):
    # given: a result's events held by a partition, which then heals
    stack, clock, eu, cache, healthy = shop
    cache.backend = Partitioned()
    post_results(stack, eu, [result("shop", "web", clock.now, result_id="held")])
    cache.backend = healthy
    # when: results land within the check's outbox read period, then one after it
    clock.advance(seconds=cache.max_staleness_seconds + 1)
    post_results(stack, eu, [result("shop", "web", clock.now, result_id="early")])
    early = len(stack.published.of_type(RUN_COMPLETED))
    clock.advance(seconds=outbox.OWNED_FOR.total_seconds())
    post_results(stack, eu, [result("shop", "web", clock.now, result_id="late")])
    # then: the held events wait for that read (docs/api.md: within about 5 minutes), then go out once
    assert early == 1  # "early"'s own events only
    assert len(stack.published.of_type(RUN_COMPLETED)) == 3


def test_a_mutation_during_a_partition_is_published_by_the_next_recording_after_the_bound(shop):
    # given: the cache is partitioned
    stack, clock, eu, cache, _ = shop
    cache.backend = Partitioned()
    # when: the assignment changes
    answer = stack.call("PUT", "/systems/shop/checks/web", {"satelliteIds": ["eu-1"], "includeLocal": False})
    # then: it succeeds, but its event waits
    assert answer.status == 200, answer.body
    assert stack.published.of_type(ASSIGNMENT_CHANGED) == []
    # when: past the staleness bound, a result of that system is recorded
    clock.advance(seconds=cache.max_staleness_seconds + 1)
    post_results(stack, eu, [result("shop", "web", clock.now)])
    # then: the held change goes out first, marked invalidated
    changes = stack.published.of_type(ASSIGNMENT_CHANGED)
    assert [(c["change"], c["cacheInvalidated"]) for c in changes] == [("updated", True)]
    assert stack.published.events[0].detail_type == ASSIGNMENT_CHANGED
