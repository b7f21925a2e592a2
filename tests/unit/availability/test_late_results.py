"""Results that arrive late land at the time they ran: a satellite delivering hours at once, and a
delivery after the day it belongs to was summarised."""

from datetime import timedelta

import pytest

from shared.domain.wire import format_timestamp
from shared.services import outbox
from shared.services.availability import range_stats
from shared.services.bulk_recording import record_system_runs
from shared.services.recording import RunInput
from shared.services.satellite_results import IngestReport
from tests.unit.availability.world import (
    INTERVAL,
    YEAR_START,
    brute_force_changes,
    brute_force_seconds,
    new_world,
)

STEP = timedelta(seconds=INTERVAL)


def satellite_run(at, status: str) -> RunInput:
    return RunInput(
        run_id=f"sat:eu:{at.timestamp():.0f}",
        system_id="shop",
        configuration_id="edge",
        source_id="eu",
        source_label="EU",
        status=status,
        latency_ms=30.0,
        timestamp=format_timestamp(at),
    )


def deliver(world, runs: list[RunInput], at) -> None:
    """One satellite batch, recorded at `at` through the bulk path."""
    world.clock.now = at
    repository = world.c.repository
    reads = repository.check_reads([(r.system_id, r.configuration_id) for r in runs], for_recording=True)
    delivery = record_system_runs(
        world.c, repository.get_satellite("eu"), "shop", runs, IngestReport(), reads=reads
    )
    outbox.deliver_all(world.c, [delivery])
    world.runs += [r.item().to_item() for r in runs]


@pytest.fixture
def world():
    world = new_world({"edge": {"satelliteIds": ["eu"]}})
    world.store.assignments[("shop", "edge")]["includeLocal"] = False
    for n in range(12):
        world.record("edge", "eu", "healthy", YEAR_START + n * STEP)
    return world


def test_a_spooled_batch_with_an_outage_lands_when_it_ran(world):
    # given: 6 hours spooled by the satellite, the first two of them down, delivered at once later
    start = YEAR_START + 12 * STEP
    spooled = [satellite_run(start + n * STEP, "unhealthy" if n < 3 else "healthy") for n in range(6)]
    # when
    deliver(world, spooled, start + 6 * STEP + timedelta(minutes=5))
    stats = range_stats(world.c, world.store.system_snapshot("shop"), YEAR_START, start + 6 * STEP)
    # then
    truth = brute_force_changes(world.runs, world.quorum, world.clock.now)
    expected = brute_force_seconds(truth, [], YEAR_START, start + 6 * STEP)
    assert expected["down"] == 2 * INTERVAL
    assert stats.system.down == expected["down"]
    assert stats.system.availability == pytest.approx(1 - 2 / 18)


def test_a_delivery_after_its_day_was_summarised_replaces_the_summary():
    # given: the satellite ran until 16:00 on day 0, and day 0 was summarised the next morning
    world = new_world({"edge": {"satelliteIds": ["eu"]}})
    world.store.assignments[("shop", "edge")]["includeLocal"] = False
    for n in range(5):
        world.record("edge", "eu", "healthy", YEAR_START + n * STEP)
    day_one = YEAR_START + timedelta(days=1)
    world.clock.now = day_one + timedelta(hours=2)
    before = range_stats(world.c, world.store.system_snapshot("shop"), YEAR_START, day_one)
    summary_key = ("shop", format_timestamp(YEAR_START)[:10])
    assert world.store.availability_days[summary_key]["dirty"] is False
    # when: its spool of 18:00 and 22:00, both failing, comes in on day 1
    late = [satellite_run(YEAR_START + timedelta(hours=h), "unhealthy") for h in (18, 22)]
    deliver(world, late, day_one + timedelta(hours=3))
    marked = dict(world.store.availability_days[summary_key])
    after = range_stats(world.c, world.store.system_snapshot("shop"), YEAR_START, day_one)
    # then
    truth = brute_force_changes(world.runs, world.quorum, world.clock.now)
    expected = brute_force_seconds(truth, [], YEAR_START, day_one)
    assert before.system.down == 0
    assert marked["dirty"] is True
    assert after.system.down == expected["down"] == 2 * 3600
    assert world.store.availability_days[summary_key]["dirty"] is False
