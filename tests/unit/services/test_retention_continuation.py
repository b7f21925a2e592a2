"""The retention function's invocation: a pass that runs out of time asks for the next invocation at
once (the continuation queue) until it is done; the settled day's availability summaries follow it."""

from datetime import timedelta

from shared.domain.assignment_models import AssignmentPut
from shared.services.availability import range_stats
from shared.services.retention_run import run_retention
from tests.fakes.collaborators import START, fake_collaborators
from tests.fakes.memory_store import MemoryStore
from tests.fakes.memory_sweeps import MemorySweepCheckpoints
from tests.fakes.seed import SEEDED_AT, configuration_item, seed_shop
from tests.unit.services.test_outbox_rules import initial_state

CHECKS = 250


class Continuations:
    """The continuation queue: records each request."""

    def __init__(self) -> None:
        self.requests: list[str] = []

    def request(self, reason: str) -> None:
        self.requests.append(reason)


def budget(steps: int):
    """A clock of remaining time that allows `steps` units of work, then says time is up."""
    left = [steps]

    def time_left() -> float:
        left[0] -= 1
        return 1_000.0 if left[0] >= 0 else 0.0

    return time_left


def world(checks: int = CHECKS):
    store = MemoryStore()
    seed_shop(store, initial_state("shop", SEEDED_AT))
    settings = AssignmentPut.model_validate({}).model_dump(mode="json", by_alias=True)
    for n in range(checks):
        store.create_configuration(configuration_item(f"c{n:03d}", "C"))
        store.put_assignment("shop", f"c{n:03d}", settings, expected_version=None, now=SEEDED_AT, now_epoch=0)
    c = fake_collaborators(store)
    c.clock.now = START + timedelta(days=3, hours=2)
    return c, store, MemorySweepCheckpoints()


def invoke(c, store, checkpoints, continuations, steps):
    return run_retention(
        c,
        store,
        checkpoints,
        continuations,
        time_left=budget(steps),
        parallel_map=lambda f, xs: [f(x) for x in xs],
    )


def test_a_pass_short_of_time_continues_at_once_until_it_is_done():
    # given a pass over 250 assignments and invocations that each get through one page
    c, store, checkpoints = world()
    continuations = Continuations()
    # when the function is invoked, then once more for each continuation it asked for
    invocations = [invoke(c, store, checkpoints, continuations, steps=2)]
    while invocations[-1].continued and len(invocations) < 10:
        invocations.append(invoke(c, store, checkpoints, continuations, steps=2))
    # then every invocation but the last asked for one more, and the pass and the summaries finished
    assert len(invocations) > 2
    assert len(continuations.requests) == len(invocations) - 1
    assert sum(i.retention.assignments for i in invocations) == CHECKS
    assert invocations[-1].retention.finished and invocations[-1].summaries.finished
    assert not invocations[-1].continued


def test_an_invocation_that_lost_the_checkpoint_asks_for_nothing():
    # given a pass under way, its checkpoint then moved by another invocation
    c, store, checkpoints = world()
    continuations = Continuations()
    invoke(c, store, checkpoints, continuations, steps=2)

    class Moved(MemorySweepCheckpoints):
        def load(self, sweep):
            found = checkpoints.load(sweep)
            checkpoints.checkpoints[sweep]["version"] += 1  # someone else saves meanwhile
            return found

        def save(self, sweep, state, *, expected_version):
            return checkpoints.save(sweep, state, expected_version=expected_version)

    # when
    outcome = invoke(c, store, Moved(), continuations, steps=2)
    # then
    assert outcome.retention.taken_over
    assert not outcome.continued
    assert len(continuations.requests) == 1


def test_the_settled_day_is_summarised_for_every_system_and_once():
    # given a check down for an hour two days ago, and the retention pass already done today
    c, store, checkpoints = world(checks=1)
    day = (c.clock.now - timedelta(days=1, hours=2)).strftime("%Y-%m-%d")
    store.check_transitions[("shop", "c000")] = {
        f"{day}T00:00:00.000Z#1": {
            "systemId": "shop",
            "configurationId": "c000",
            "previousStatus": "unknown",
            "newStatus": "healthy",
            "at": f"{day}T00:00:00.000Z",
        },
        f"{day}T10:00:00.000Z#2": {
            "systemId": "shop",
            "configurationId": "c000",
            "previousStatus": "healthy",
            "newStatus": "unhealthy",
            "at": f"{day}T10:00:00.000Z",
        },
        f"{day}T11:00:00.000Z#3": {
            "systemId": "shop",
            "configurationId": "c000",
            "previousStatus": "unhealthy",
            "newStatus": "healthy",
            "at": f"{day}T11:00:00.000Z",
        },
    }
    continuations = Continuations()
    # when the function runs twice in the day
    first = invoke(c, store, checkpoints, continuations, steps=100)
    stored = store.get_availability_days("shop", [day])
    store.availability_days.clear()
    second = invoke(c, store, checkpoints, continuations, steps=100)
    # then the first stored the day's summary (an hour down), the second found the day done
    assert (first.summaries.day, first.summaries.systems) == (day, 1)
    assert (stored[day]["system"]["down"], stored[day]["system"]["incidents"]) == (3_600, 1)
    assert second.summaries.systems == 0
    assert store.get_availability_days("shop", [day]) == {}
    assert continuations.requests == []


def test_a_cold_read_of_summarised_days_reads_no_transition():
    # given the function ran once a day for a week
    c, store, checkpoints = world(checks=2)
    week_start = c.clock.now.replace(hour=0)
    for _ in range(7):
        c.clock.now += timedelta(days=1)
        invoke(c, store, checkpoints, Continuations(), steps=100)
    reads = []
    store.list_check_transitions = lambda *args, **kwargs: reads.append(args) or []
    # when a reader asks for those seven whole days, cold (no cache in front)
    snapshot = store.system_snapshot("shop")
    stats = range_stats(c, snapshot, week_start, week_start + timedelta(days=7))
    # then every day came from its stored summary: no transition was read
    assert reads == []
    assert stats.system.span == 7 * 86_400
