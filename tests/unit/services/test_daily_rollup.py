"""The daily rollup (services/rollup.py) on the in-memory store: daily aggregates are the sums of
complete days of hourly ones, a rerun or a crash midway never counts a run twice, and a late run
lands in each tier exactly once whether it comes before, after or during the rollup of its day."""

from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.assignment_models import AssignmentPut
from shared.domain.records import StateVersionConflict
from shared.domain.wire import format_timestamp
from shared.services import rollup
from shared.services.health_state import initial_state
from shared.services.recording import RunInput, record_run
from tests.fakes.collaborators import fake_collaborators
from tests.fakes.memory_store import MemoryStore
from tests.fakes.seed import SEEDED_AT, configuration_item, seed_shop

DAY_ONE = datetime(2030, 1, 1, tzinfo=UTC)
LATE_DAY = DAY_ONE + timedelta(days=2)


def world():
    store = MemoryStore()
    seed_shop(store, initial_state("shop", SEEDED_AT))
    store.create_configuration(configuration_item("api"))
    settings = AssignmentPut.model_validate({}).model_dump(mode="json", by_alias=True)
    for configuration_id in ("web", "api"):
        store.put_assignment(
            "shop", configuration_id, settings, expected_version=None, now=SEEDED_AT, now_epoch=0
        )
    c = fake_collaborators(store)
    c.clock.now = DAY_ONE
    return c, store


def record(c, run_id: str, at: datetime, configuration_id: str = "web", status: str = "healthy") -> None:
    record_run(
        c,
        RunInput(
            run_id=run_id,
            system_id="shop",
            configuration_id=configuration_id,
            source_id="local",
            source_label="Local",
            status=status,
            latency_ms=10.0 + at.hour,
            timestamp=format_timestamp(at),
        ),
    )


def six_days_of_runs(c) -> None:
    """Runs every 5 hours over six days, of both checks, recorded as they happen."""
    for n in range(6 * 24 // 5):
        at = DAY_ONE + timedelta(hours=5 * n, minutes=7)
        c.clock.now = at
        record(c, f"web-{n}", at, status="unhealthy" if n % 7 == 0 else "healthy")
        record(c, f"api-{n}", at, configuration_id="api")
    c.clock.now = DAY_ONE + timedelta(days=6, hours=1)


def tier(store: MemoryStore, name: str) -> dict:
    return {k: v for k, v in store.aggregates.items() if k[0] == name}


def daily_counts(store: MemoryStore, configuration_id: str = "web") -> dict[str, int]:
    return {k[3]: v["runCount"] for k, v in tier(store, "daily").items() if k[2] == configuration_id}


def roll_everything(c, store: MemoryStore) -> int:
    return sum(rollup.roll_up(c, store.get_assignment(*pair)) for pair in list(store.assignments))


def test_daily_items_are_the_sums_of_their_settled_days_and_a_rerun_changes_nothing():
    # given: six days of runs, no daily aggregate written by any of them
    c, store = world()
    six_days_of_runs(c)
    assert tier(store, "daily") == {}
    # when
    rolled = roll_everything(c, store)
    first = tier(store, "daily")
    again = roll_everything(c, store)
    # then: days up to three days ago are rolled, each the sum of its hourly items; a rerun is a no-op
    assert again == 0 and tier(store, "daily") == first
    days = sorted(daily_counts(store))
    assert days[-1] == format_timestamp(DAY_ONE + timedelta(days=3)).replace(".000", "")
    assert rolled >= 2 * len(days)
    for (_, _, configuration_id, day, source), item in first.items():
        hours = [
            v
            for k, v in tier(store, "hourly").items()
            if k[2] == configuration_id and k[4] == source and k[3][:10] == day[:10]
        ]
        assert item["runCount"] == sum(h["runCount"] for h in hours)
        assert item.get("unhealthyCount", 0) == sum(h.get("unhealthyCount", 0) for h in hours)
    assert store.check_states[("shop", "web")]["rolledThrough"] == days[-1]


def test_a_rollup_killed_midway_then_rerun_gives_the_same_daily_items(monkeypatch):
    # given: the same runs in two stores; one rollup dies after its second transaction
    clean_c, clean = world()
    six_days_of_runs(clean_c)
    roll_everything(clean_c, clean)
    c, store = world()
    six_days_of_runs(c)
    monkeypatch.setattr(rollup, "DAILIES_PER_TRANSACTION", 1)
    commit = store.commit_rollup
    commits = []

    def dies_on_the_third(*args, **kwargs):
        commits.append(args)
        if len(commits) == 3:
            raise SystemError("killed")
        return commit(*args, **kwargs)

    monkeypatch.setattr(store, "commit_rollup", dies_on_the_third)
    # when
    with pytest.raises(SystemError):
        roll_everything(c, store)
    partial = tier(store, "daily")
    roll_everything(c, store)
    # then: the first run left whole days only, and the rerun ends where the clean one did
    assert 0 < len(partial) < len(tier(clean, "daily"))
    assert tier(store, "daily") == tier(clean, "daily")


def record_late_run(c) -> None:
    """A satellite-style late run of LATE_DAY, landing days after it."""
    record(c, "late", LATE_DAY + timedelta(hours=3, minutes=1))


def assert_late_run_counted_once(store: MemoryStore) -> None:
    assert daily_counts(store)[_day(LATE_DAY)] == _runs_on(LATE_DAY) + 1
    assert _hourly_runs(store, LATE_DAY) == _runs_on(LATE_DAY) + 1


def test_a_late_run_before_the_rollup_of_its_day_is_counted_once_in_each_tier():
    # given: a day's runs, not rolled yet
    c, store = world()
    six_days_of_runs(c)
    # when: the late run lands, then the day is rolled
    record_late_run(c)
    roll_everything(c, store)
    # then
    assert_late_run_counted_once(store)


def test_a_late_run_after_the_rollup_of_its_day_adds_to_the_daily_item_too():
    # given: the day rolled
    c, store = world()
    six_days_of_runs(c)
    roll_everything(c, store)
    # when
    record_late_run(c)
    roll_everything(c, store)
    # then
    assert_late_run_counted_once(store)


def test_a_late_run_landing_while_its_day_is_rolled_is_counted_once():
    # given: the rollup has read the day's hourly items when the late run commits
    c, store = world()
    six_days_of_runs(c)
    listed = store.list_aggregates
    landed = []

    def late_run_lands_after_the_read(*args, **kwargs):
        items = listed(*args, **kwargs)
        if args[0] == "hourly" and args[2] == "web" and not landed:
            landed.append(True)
            record_late_run(c)
        return items

    store.list_aggregates = late_run_lands_after_the_read
    # when
    roll_everything(c, store)
    # then: the rollup's transaction lost to the run's and read the day again
    assert landed
    assert_late_run_counted_once(store)


def test_a_rollup_that_keeps_losing_to_runs_gives_up_without_writing():
    # given
    c, store = world()
    six_days_of_runs(c)

    def always_moved(*args, **kwargs):
        raise StateVersionConflict()

    store.commit_rollup = always_moved
    # when / then
    with pytest.raises(StateVersionConflict):
        rollup.roll_up(c, store.get_assignment("shop", "web"))
    assert tier(store, "daily") == {}


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT00:00:00Z")


def _runs_on(day: datetime) -> int:
    return sum(1 for n in range(6 * 24 // 5) if (DAY_ONE + timedelta(hours=5 * n)).date() == day.date())


def _hourly_runs(store: MemoryStore, day: datetime) -> int:
    return sum(
        v["runCount"]
        for k, v in tier(store, "hourly").items()
        if k[2] == "web" and k[3][:10] == _day(day)[:10]
    )
