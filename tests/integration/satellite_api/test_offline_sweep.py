"""The offline-satellite sweep on its own schedule: paginated, checkpointed, resumed after a stop,
and marking a satellite handled only once all its systems were re-evaluated."""

from datetime import timedelta

import pytest

from shared import aws
from shared.data.sweeps import SweepCheckpoints
from shared.domain.models import format_timestamp
from shared.services import context, satellite_sweep
from shared.services.satellite_sweep import SWEEP, sweep_offline_satellites
from tests.integration.api.stack import add_configuration, add_system, assign
from tests.integration.satellite_api.fleet import add_satellite, health, hold_clock, post_results, result

SYSTEMS = 7
CHANGED = "System Health Changed"


@pytest.fixture
def silent_fleet(stack, monkeypatch):
    # seven systems checked only by satellite "eu" (and two of them by "us" too), both gone silent
    monkeypatch.setattr(satellite_sweep, "SYSTEMS_PER_STEP", 2)
    clock = hold_clock()
    eu, us = add_satellite(stack, "eu"), add_satellite(stack, "us")
    add_configuration(stack, "web")
    systems = [f"sys-{n}" for n in range(SYSTEMS)]
    for system_id in systems:
        add_system(stack, system_id)
        satellites = ["eu", "us"] if system_id in systems[:2] else ["eu"]
        assign(stack, system_id, "web", {"includeLocal": False, "satelliteIds": satellites})
        for satellite in (eu, us) if system_id in systems[:2] else (eu,):
            answer = post_results(stack, satellite, [result(system_id, "web", clock.now, status="unhealthy")])
            assert answer.body["accepted"], answer.body
    clock.advance(seconds=91)
    return stack, systems


def checkpoints() -> SweepCheckpoints:
    return SweepCheckpoints(aws.dynamodb(), context.default_collaborators().settings.table_name)


def unknown_changes(stack) -> list[str]:
    return [e["systemId"] for e in stack.published.of_type(CHANGED) if e["newStatus"] == "unknown"]


def test_a_sweep_stopped_midway_resumes_and_reevaluates_each_system_once(silent_fleet):
    stack, systems = silent_fleet
    c = context.default_collaborators()
    budget = iter([60.0, 60.0, 1.0])
    # when a sweep runs out of time after two steps of two systems
    first = sweep_offline_satellites(c, checkpoints(), time_left=lambda: next(budget))
    # then it says so, kept its place, and marked no satellite handled yet
    assert not first.finished and first.reevaluated == systems[:4]
    assert checkpoints().load(SWEEP)["doneThrough"] == systems[3]
    assert not any(s.offline_handled for s in c.repository.list_satellites(limit=10, cursor=None).items)
    # when the next invocation runs, and one more after it
    second = sweep_offline_satellites(c, checkpoints())
    third = stack.invoke("SatelliteSweepFunction", {})
    # then the rest was re-evaluated, each system once with one event, and the sweep is over
    assert second.finished and second.reevaluated == systems[4:]
    assert third == {"reevaluatedSystems": [], "finished": True}
    assert sorted(unknown_changes(stack)) == systems
    assert checkpoints().load(SWEEP) is None
    assert all(s.offline_handled for s in c.repository.list_satellites(limit=10, cursor=None).items)
    assert all(health(stack, s)["status"] == "unknown" for s in systems)


@pytest.mark.usefixtures("silent_fleet")
def test_a_satellite_heard_from_during_a_sweep_is_not_marked_handled():
    c = context.default_collaborators()
    budget = iter([60.0, 1.0])
    first = sweep_offline_satellites(c, checkpoints(), time_left=lambda: next(budget))
    assert not first.finished
    # when "us" comes back before the sweep finishes
    c.clock.advance(seconds=1)
    c.repository.touch_satellite("us", format_timestamp(c.clock.now))
    second = sweep_offline_satellites(c, checkpoints())
    # then the sweep finished, and only "eu" is marked handled
    assert second.finished
    handled = {s.id: s.offline_handled for s in c.repository.list_satellites(limit=10, cursor=None).items}
    assert handled == {"eu": True, "us": False}


def test_a_later_silence_starts_a_new_sweep(silent_fleet):
    stack, systems = silent_fleet
    c = context.default_collaborators()
    sweep_offline_satellites(c, checkpoints())
    # when "eu" reports again, then falls silent again
    c.repository.touch_satellite("eu", format_timestamp(c.clock.now + timedelta(seconds=1)))
    c.clock.advance(seconds=200)
    again = sweep_offline_satellites(c, checkpoints())
    # then its systems are re-evaluated again (nothing changed, so no new event)
    assert again.finished and again.reevaluated == systems
    assert sorted(unknown_changes(stack)) == systems


class Killed(BaseException):
    """The runtime stopped the invocation."""


def test_a_sweep_killed_before_its_checkpoint_repeats_one_step_without_a_second_event(
    silent_fleet, monkeypatch
):
    stack, systems = silent_fleet
    c = context.default_collaborators()
    store = checkpoints()
    saves = {"count": 0}
    real_save = SweepCheckpoints.save

    def save_then_die(self, sweep, state, *, expected_version):
        saves["count"] += 1
        if saves["count"] == 3:  # the start, one step, then killed before the second step's checkpoint
            raise Killed
        return real_save(self, sweep, state, expected_version=expected_version)

    monkeypatch.setattr(SweepCheckpoints, "save", save_then_die)
    # when the sweep is killed after re-evaluating its second step but before checkpointing it
    with pytest.raises(Killed):
        sweep_offline_satellites(c, store)
    # then the next one redoes that step only, and every system changed to unknown exactly once
    resumed = sweep_offline_satellites(c, store)
    assert resumed.finished and resumed.reevaluated == systems[2:]
    assert sorted(unknown_changes(stack)) == systems
