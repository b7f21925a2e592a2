"""The scheduler's tick on the latency-injected fakes of bench/: sharding, parallel claims and sends,
send-before-advance, and ticks that are killed or run out of time. Simulated seconds, never real ones."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from bench.fake_aws import Killed
from bench.scheduler_sim import (
    CHECKS_URL,
    SHARDS_URL,
    TICK_START,
    claimed_but_unsent,
    fan_out_tick,
    runs_by_check,
    seed_due_checks,
    simulated_stack,
)
from shared.data import keys
from shared.domain.schedule import jitter_offset, next_slot, scheduled_run_id
from shared.queue import ShardRequest
from shared.services.scheduling import enqueue_due, enqueue_shard
from shared.services.tick_dispatch import run_shard_requests

DUE = int(TICK_START.timestamp()) - 1


def test_due_checks_spread_over_every_shard_and_each_shard_is_queried_once():
    # given 2,000 due checks
    stack = simulated_stack()
    seed_due_checks(stack, 2_000)
    shards = Counter(keys.due_shard(s, c) for s, c in stack.pairs)
    # when one tick runs
    fan_out_tick(stack)
    # then all 64 shards hold a bounded share, each was handed out and queried once, and all ran
    assert len(shards) == 64 and max(shards.values()) < 2 * 2_000 / 64
    assert len(stack.sqs._client.messages[SHARDS_URL]) == 64
    assert stack.calls["Query"] == 64
    assert len(stack.check_messages()) == 2_000


def test_claims_and_sends_of_a_shard_run_in_parallel_bounded_batches():
    # given 1,600 due checks all in one shard
    stack = simulated_stack(shards=64)
    seed_due_checks(stack, 1_600)
    client = stack.dynamodb._client
    for key in list(client.items):
        client.move_to_shard(key, "DUE#0")
    started = stack.clock.elapsed
    # when that shard's worker runs with 16 threads
    report = enqueue_shard(
        stack.collaborators,
        "DUE#0",
        tick_start=int(TICK_START.timestamp()),
        time_left=lambda: 60.0,
        parallel=stack.clock.parallel(16),
    )
    took = stack.clock.elapsed - started
    # then every check is sent in batches of ten and advanced, in a fraction of the sequential time
    assert report.enqueued == 1_600 and report.deferred == 0
    assert stack.calls["SendMessageBatch"] == 160 and stack.calls["UpdateItem"] == 1_600
    sequential = 1_600 * 0.005 + 160 * 0.010 + 16 * 0.008
    assert took < sequential / 8


def test_a_tick_killed_midway_leaves_nothing_claimed_unsent_and_the_next_tick_runs_every_check_once():
    # given 3,000 due checks and a tick killed after half the calls a whole tick makes
    stack = simulated_stack()
    seed_due_checks(stack, 3_000)
    stack.kill.after = 1_700
    with pytest.raises(Killed):
        fan_out_tick(stack)
    assert 0 < len(stack.check_messages()) < 3_000
    # when the next tick runs a minute later
    assert claimed_but_unsent(stack) == 0
    stack.kill.after = None
    stack.clock.charge(60)
    fan_out_tick(stack)
    # then every check's overdue run was sent, and each slot only ever under its own run id
    sent = runs_by_check(stack)
    next_minute = int(TICK_START.timestamp()) + 60
    for system_id, configuration_id in stack.pairs:
        overdue = scheduled_run_id(system_id, configuration_id, DUE)
        slot = next_slot(next_minute, 60, jitter_offset(system_id, configuration_id, 60))
        assert overdue in sent[(system_id, configuration_id)]
        assert set(sent[(system_id, configuration_id)]) <= {
            overdue,
            scheduled_run_id(system_id, configuration_id, slot),
        }


def test_a_shard_out_of_time_defers_the_rest_and_the_next_tick_sends_it_once():
    # given one shard of 500 due checks whose worker has time for two chunks only
    stack = simulated_stack()
    seed_due_checks(stack, 500)
    for key in list(stack.dynamodb._client.items):
        stack.dynamodb._client.move_to_shard(key, "DUE#0")
    answers = iter([60.0, 60.0, 1.0])
    # when it runs, then the next tick's worker runs the same shard
    first = enqueue_shard(
        stack.collaborators,
        "DUE#0",
        tick_start=int(TICK_START.timestamp()),
        time_left=lambda: next(answers),
        parallel=stack.clock.parallel(16),
    )
    stack.clock.charge(60)
    second = enqueue_due(stack.collaborators, parallel=stack.clock.parallel(16))
    # then the first sent two chunks and left three, which the next tick sent once
    assert (first.enqueued, first.deferred) == (200, 300)
    assert second.enqueued == 500  # the deferred overdue runs, and the next slot of the others
    sent = runs_by_check(stack)
    for system_id, configuration_id in stack.pairs:
        assert sent[(system_id, configuration_id)][scheduled_run_id(system_id, configuration_id, DUE)] == 1


def test_runs_are_not_late_by_the_time_their_worker_started_late():
    # given 60 checks each due on its own slot of the tick, and workers starting 30 s into the tick
    stack = simulated_stack()
    seed_due_checks(stack, 60)
    tick_start = int(TICK_START.timestamp())
    slots = {}
    for (system_id, configuration_id), item in zip(
        stack.pairs, stack.dynamodb._client.items.values(), strict=True
    ):
        slots[(system_id, configuration_id)] = next_slot(
            tick_start, 60, jitter_offset(system_id, configuration_id, 60)
        )
        item["nextDueAt"] = {"N": str(slots[(system_id, configuration_id)])}
    stack.clock.charge(30)
    # when the workers send them
    bodies = [ShardRequest(shard, tick_start).body() for shard in keys.all_due_shards()]
    run_shard_requests(stack.collaborators, bodies, time_left=lambda: 60.0)
    # then each delay is counted from the send: a run starts on its slot, or at once if that passed
    entries = stack.sqs._client.messages[CHECKS_URL]
    assert len(entries) == 60
    for entry in entries:
        body = json.loads(entry["MessageBody"])
        slot = slots[(body["systemId"], body["configurationId"])]
        on_time = max(0, slot - (tick_start + 30))
        assert on_time - 3 <= entry["DelaySeconds"] <= on_time  # 64 shards take ~2 simulated s here
    assert any(entry["DelaySeconds"] > 0 for entry in entries)


def test_a_shard_request_older_than_a_tick_is_dropped():
    # given a shard request of a tick that began a minute ago
    stack = simulated_stack()
    seed_due_checks(stack, 50)
    stack.clock.charge(60)
    body = ShardRequest("DUE#0", int(TICK_START.timestamp())).body()
    # when a worker receives it
    report = run_shard_requests(stack.collaborators, [body], time_left=lambda: 60.0)
    # then it does nothing: the newer tick covers that shard
    assert report.due == 0 and stack.calls["Query"] == 0
