"""The runs the scheduler plans: run ids named after the due slot, stable across ticks; the shard count."""

import pytest
from pydantic import ValidationError

from shared.domain.schedule import jitter_offset, next_slot, plan_runs, scheduled_run_id
from shared.settings import Settings

TICK = 1_796_126_400  # a minute boundary


def test_an_overdue_run_keeps_its_id_whichever_tick_sends_it():
    # given a check overdue since before the tick
    due = TICK - 90
    # when two successive ticks plan it (the first one died before advancing it)
    first, _ = plan_runs("shop", "web", due, 60, TICK, TICK + 60)
    second, _ = plan_runs("shop", "web", due, 60, TICK + 60, TICK + 120)
    # then both plan its run now, under the same id
    assert first[0].run_id == second[0].run_id == scheduled_run_id("shop", "web", due)
    assert (first[0].at, second[0].at) == (TICK, TICK + 60)


def test_sub_minute_slots_each_get_their_own_id_and_the_next_due_follows_them():
    # given a 15 s check whose next slot is inside the tick
    offset = jitter_offset("shop", "web", 15)
    due = next_slot(TICK, 15, offset)
    # when a tick plans it
    runs, next_due = plan_runs("shop", "web", due, 15, TICK, TICK + 60)
    # then four slots, four distinct ids, and the next due time is the first slot after the tick
    assert [r.at for r in runs] == [due, due + 15, due + 30, due + 45]
    assert len({r.run_id for r in runs}) == 4
    assert next_due == due + 60
    assert runs[1].run_id == scheduled_run_id("shop", "web", due + 15)


def test_different_checks_and_slots_never_share_an_id():
    assert (
        len({scheduled_run_id(s, c, t) for s in ("a", "b") for c in ("x", "y") for t in (TICK, TICK + 60)})
        == 8
    )


def test_the_due_index_can_be_widened_but_never_narrowed_below_its_default():
    # given the settings model
    # then 128 shards are accepted and 16 refused (assignments in shards 16..63 would never run again)
    assert Settings(HC_DUE_SHARDS=128).due_shards == 128
    with pytest.raises(ValidationError):
        Settings(HC_DUE_SHARDS=16)
