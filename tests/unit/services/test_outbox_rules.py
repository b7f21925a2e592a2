"""Service rules of recording and the outbox, on the in-memory store: fast, no AWS.

Invalidate before notify; an invalidation the cache never acknowledged holds the events until no
stale value can be served; a crash between commit and publish loses nothing."""

from datetime import timedelta

import pytest

from shared.domain.assignment_models import AssignmentPut
from shared.events import (
    ASSIGNMENT_CHANGED,
    CHECK_COMPLETED,
    RUN_COMPLETED,
    SYSTEM_HEALTH_CHANGED,
    Event,
)
from shared.services import outbox, recording
from shared.services.context import Collaborators
from shared.services.health_state import initial_state
from shared.services.recording import RunInput, record_run
from tests.fakes.collaborators import STALENESS, START, fake_collaborators
from tests.fakes.memory_store import MemoryStore
from tests.fakes.seed import SEEDED_AT, seed_shop


@pytest.fixture
def world():
    store = MemoryStore()
    seed_shop(store, initial_state("shop", SEEDED_AT))
    settings = AssignmentPut.model_validate({}).model_dump(mode="json", by_alias=True)
    store.put_assignment("shop", "web", settings, expected_version=None, now=SEEDED_AT, now_epoch=0)
    return fake_collaborators(store)


def run(c: Collaborators, run_id: str, status: str = "healthy") -> RunInput:
    return RunInput(
        run_id=run_id,
        system_id="shop",
        configuration_id="web",
        source_id="local",
        source_label="Local",
        status=status,
        latency_ms=12,
        timestamp=c.clock().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    )


def test_a_recorded_run_is_published_after_the_acknowledged_invalidation(world):
    # given
    c = world
    # when
    outcome = record_run(c, run(c, "r1"))
    # then
    assert outcome.outcome == "recorded"
    assert c.cache.invalidated == ["shop"]
    assert {e.detail_type for e in c.publisher.events} >= {RUN_COMPLETED, CHECK_COMPLETED}
    assert all(e.detail["cacheInvalidated"] is True for e in c.publisher.events)
    assert c.repository.outbox_of("shop") == []


def test_an_unacknowledged_invalidation_holds_the_events_for_the_staleness_bound(world):
    # given: the cache never answers
    c = world
    c.cache.reachable = False
    # when
    record_run(c, run(c, "r1"))
    # then: nothing published, the run's entry and its view change's entry are held exactly until
    # no stale value can be served
    assert c.publisher.events == []
    held = c.repository.outbox_of("shop")
    assert sorted(e.entry_id for e in held) == ["r1", "r1#view#2"]
    assert {e.held_until for e in held} == {"2030-01-01T00:00:18.000Z"}
    # when: a second run comes before the bound, a third after it
    c.clock.now = START + timedelta(seconds=10)
    record_run(c, run(c, "r2"))
    assert c.publisher.events == []
    # (runs read the system's outbox once per OWNED_FOR per check, not every time)
    c.clock.now = START + timedelta(seconds=STALENESS + 1)
    record_run(c, run(c, "r3"))
    assert c.publisher.events == []
    c.clock.now = START + outbox.OWNED_FOR + timedelta(seconds=1)
    record_run(c, run(c, "r4"))
    # then: every entry whose hold elapsed went out, marked invalidated; the last run's own entry
    # (the cache still does not answer) is held in turn
    assert len(c.publisher.of_type(RUN_COMPLETED)) == 3
    assert len(c.publisher.of_type(SYSTEM_HEALTH_CHANGED)) == 1
    assert all(e.detail["cacheInvalidated"] is True for e in c.publisher.events)
    assert sorted(e.entry_id for e in c.repository.outbox_of("shop")) == ["r4"]


def test_a_redelivered_run_publishes_what_a_crashed_first_delivery_left(world, monkeypatch):
    # given: the first delivery commits, then dies before publishing
    c = world
    with monkeypatch.context() as crash:
        crash.setattr(outbox, "deliver", lambda *_, **__: (_ for _ in ()).throw(SystemError("crash")))
        with pytest.raises(SystemError):
            record_run(c, run(c, "r1"))
    assert c.publisher.events == []
    # when: the same run is delivered again
    outcome = record_run(c, run(c, "r1"))
    # then: nothing is recorded twice, and the left events go out once
    assert outcome.outcome == "duplicate"
    assert len(c.publisher.of_type(RUN_COMPLETED)) == 1
    assert len(c.publisher.of_type(SYSTEM_HEALTH_CHANGED)) == 1
    assert c.repository.outbox_of("shop") == []


def test_a_redelivered_run_settles_the_view_a_crashed_first_delivery_never_stored(world, monkeypatch):
    # given: the first delivery commits its run and check, then dies before storing the system view
    c = world
    with monkeypatch.context() as crash:
        crash.setattr(recording, "settle_view", lambda *_, **__: (_ for _ in ()).throw(SystemError("crash")))
        with pytest.raises(SystemError):
            record_run(c, run(c, "r1"))
    assert c.repository.get_state("shop").status == "unknown"
    # when: the same run is delivered again
    outcome = record_run(c, run(c, "r1"))
    # then: the view shows the run, and its transition is published once, after the invalidation
    assert outcome.outcome == "duplicate"
    assert c.repository.get_state("shop").status == "healthy"
    (change,) = c.publisher.of_type(SYSTEM_HEALTH_CHANGED)
    assert (change["previousStatus"], change["newStatus"]) == ("unknown", "healthy")
    assert c.cache.invalidated == ["shop"]
    assert c.repository.outbox_of("shop") == []


def test_a_held_mutation_is_flushed_once_its_hold_elapsed(world):
    # given: a catalog change while the cache is partitioned
    c = world
    c.cache.reachable = False
    change = Event(ASSIGNMENT_CHANGED, {"systemId": "shop", "configurationId": "web", "change": "updated"})
    outbox.publish_change(c, [change], system_ids=["shop"])
    # when: flushed before and after the bound
    outbox.flush_outbox(c, "shop")
    before = list(c.publisher.events)
    c.clock.now = START + timedelta(seconds=STALENESS)
    outbox.flush_outbox(c, "shop")
    # then
    assert before == []
    assert [e["cacheInvalidated"] for e in c.publisher.of_type(ASSIGNMENT_CHANGED)] == [True]
    assert c.repository.outbox_of("shop") == []


def test_a_batch_of_systems_publishes_once_and_holds_only_the_unacknowledged(world, monkeypatch):
    # given: entries of two systems; the cache acknowledges the invalidation of "shop" only
    c = world
    shop = outbox.new_entry(c, "shop", "eu", [Event(SYSTEM_HEALTH_CHANGED, {"systemId": "shop"})])
    blog = outbox.new_entry(c, "blog", "eu", [Event(SYSTEM_HEALTH_CHANGED, {"systemId": "blog"})])
    c.repository.put_outbox([shop, blog])
    monkeypatch.setattr(c.cache, "invalidate", lambda key: c.cache.invalidated.append(key) or key == "shop")
    publishes = []
    monkeypatch.setattr(c.publisher, "publish", publishes.append)
    # when: a satellite batch delivers both, and a third system whose view did not change
    outbox.deliver_all(
        c,
        [
            outbox.Delivery("shop", [shop], view_changed=True),
            outbox.Delivery("blog", [blog], view_changed=True),
            outbox.Delivery("wiki", []),
        ],
    )
    # then: each system invalidated before one publish of what may go out; "blog" waits
    assert c.cache.invalidated == ["shop", "blog"]
    assert [[e.detail["systemId"] for e in events] for events in publishes] == [["shop"]]
    assert c.repository.outbox_of("shop") == []
    [held] = c.repository.outbox_of("blog")
    assert held.held_until < shop.held_until  # held only until the cache cannot be stale
