"""Changes without a run (a pause, a disabled assignment) move a check's timeline at that moment."""

from datetime import timedelta

from shared.services.availability import range_stats
from shared.services.health_state import reevaluate_systems
from tests.unit.availability.world import INTERVAL, YEAR_START, new_world

STEP = timedelta(seconds=INTERVAL)


def test_a_paused_check_is_unknown_from_the_pause_and_left_out_of_the_system():
    # given: two checks healthy for a day
    world = new_world({"web": {}, "db": {}})
    for n in range(6):
        world.record("web", "local", "healthy", YEAR_START + n * STEP)
        world.record("db", "local", "unhealthy", YEAR_START + n * STEP + timedelta(minutes=1))
    # when: db's configuration is paused at noon
    world.store.assignments[("shop", "db")]["configurationPaused"] = True
    world.clock.now = YEAR_START + timedelta(hours=12)
    reevaluate_systems(world.c, ["shop"])
    world.clock.now = YEAR_START + timedelta(hours=20)
    stats = range_stats(world.c, world.store.system_snapshot("shop"), YEAR_START, world.clock.now)
    # then
    assert stats.checks["db"].unknown == 60 + 8 * 3600
    assert stats.checks["db"].down == 12 * 3600 - 60 - INTERVAL
    assert stats.system.down == 12 * 3600 - 60 - INTERVAL
    assert stats.system.up == INTERVAL + 60 + 8 * 3600
