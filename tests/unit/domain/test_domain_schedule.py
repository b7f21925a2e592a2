"""The runs the scheduler plans for a window: slots from the interval and when the schedule began,
run ids named after the slot (stable whichever tick plans it), bounded catch-up; the shard count."""

import pytest
from pydantic import ValidationError

from shared.domain.schedule import (
    first_run_at,
    jitter_offset,
    next_slot,
    scheduled_run_id,
    slots_in_window,
)
from shared.settings import Settings

TICK = 1_796_126_400  # a minute boundary
LONG_AGO = TICK - 86_400


def test_a_slot_keeps_its_id_whichever_tick_plans_it():
    # given a 60 s check and a window the first tick planned but never finished
    window = (TICK, TICK + 60)
    # when that tick plans it, and the next tick plans it again from the same checkpoint
    (first,) = slots_in_window("shop", "web", 60, LONG_AGO, window, TICK)
    second = slots_in_window("shop", "web", 60, LONG_AGO, (TICK, TICK + 120), TICK + 60)
    # then the slot of the first window is planned by both, and its run id is named after it
    assert first == next_slot(TICK, 60, jitter_offset("shop", "web", 60))
    assert second == [first, first + 60]
    assert scheduled_run_id("shop", "web", first) != scheduled_run_id("shop", "web", first + 60)


def test_sub_minute_slots_each_get_their_own_id():
    # given a 15 s check scheduled long ago
    offset = jitter_offset("shop", "web", 15)
    due = next_slot(TICK, 15, offset)
    # when a tick plans its minute
    slots = slots_in_window("shop", "web", 15, LONG_AGO, (TICK, TICK + 60), TICK)
    # then four slots, four distinct ids
    assert slots == [due, due + 15, due + 30, due + 45]
    assert len({scheduled_run_id("shop", "web", slot) for slot in slots}) == 4


def test_a_new_check_first_runs_a_minute_after_it_was_scheduled_then_one_interval_later():
    # given an hourly check created at 10 s into a minute
    since = TICK - 50
    # when the next tick plans the minute after
    runs = slots_in_window("shop", "web", 3600, since, (TICK, TICK + 60), TICK)
    # then it runs once, at its first-run time, and its next slot is at least an hour later
    assert runs == [first_run_at(since)] == [TICK + 10]
    later = slots_in_window("shop", "web", 3600, since, (TICK + 60, TICK + 7260), TICK + 60)
    assert len(later) in (1, 2) and later[0] >= TICK + 10 + 3600


def test_a_changed_interval_runs_once_at_the_change_then_at_the_new_interval():
    # given a check whose interval became 30 s a minute before the tick
    since = TICK - 60
    # when the tick plans its minute
    slots = slots_in_window("shop", "web", 30, since, (TICK, TICK + 60), TICK)
    # then the first run, then the 30 s slots from one interval after it
    first, second = slots
    assert first == first_run_at(since) == TICK
    assert TICK + 30 <= second < TICK + 60


def test_a_missed_stretch_is_made_up_by_one_run_not_one_per_slot():
    # given a 10 s check whose shard was last planned ten minutes before this tick
    window = (TICK - 600, TICK + 60)
    # when this tick plans from there
    slots = slots_in_window("shop", "web", 10, LONG_AGO, window, TICK)
    # then one run for the missed ten minutes (the latest missed slot), then the minute's six slots
    assert len(slots) == 7
    assert TICK - 10 <= slots[0] < TICK
    assert all(TICK <= slot < TICK + 60 for slot in slots[1:])


def test_a_window_before_the_first_run_plans_nothing():
    # given a check scheduled during the tick (its first run a minute later, after the window)
    # when the tick plans its window, then nothing: the next window holds the first run
    assert slots_in_window("shop", "web", 60, TICK + 30, (TICK, TICK + 60), TICK) == []


def test_different_checks_and_slots_never_share_an_id():
    assert (
        len({scheduled_run_id(s, c, t) for s in ("a", "b") for c in ("x", "y") for t in (TICK, TICK + 60)})
        == 8
    )


def test_the_shards_can_be_widened_but_never_narrowed_below_their_default():
    # given the settings model
    # then 128 shards are accepted and 16 refused (assignments in shards 16..63 would never run again)
    assert Settings(HC_DUE_SHARDS=128).due_shards == 128
    with pytest.raises(ValidationError):
        Settings(HC_DUE_SHARDS=16)
