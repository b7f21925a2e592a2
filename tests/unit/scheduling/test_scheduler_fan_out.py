"""The scheduler's tick on the latency-injected fakes of bench/: sharding, skipped empty shards,
parallel sends, send-before-checkpoint, and ticks that are killed or run out of time. Simulated
seconds, never real ones."""

from __future__ import annotations

import contextlib
import json
from collections import Counter

import pytest

from bench.fake_aws import Killed
from bench.scheduler_sim import (
    CHECKS_URL,
    SHARDS_URL,
    TICK_EPOCH,
    claimed_but_unsent,
    fan_out_tick,
    runs_by_check,
    seed_due_checks,
    simulated_stack,
    slots_by_check,
    tick_slots,
)
from shared.data import keys
from shared.domain.schedule import scheduled_run_id
from shared.queue import ShardRequest
from shared.services.scheduling import enqueue_due, enqueue_shard
from shared.services.tick_dispatch import run_shard_requests


def _all_in_shard_zero(stack) -> None:
    client = stack.dynamodb._client
    for key in [key for key in client.items if key[0].startswith("SYSTEM#")]:
        client.move_to_shard(key, "DUE#0")


def _checkpoint(stack, shard: str) -> int:
    return int(stack.dynamodb._client.items[(f"SCHED#{shard}", "META")]["plannedThrough"]["N"])


def test_checks_spread_over_every_shard_and_a_tick_writes_one_checkpoint_per_shard_and_nothing_per_run():
    # given 2,000 checks due in the tick
    stack = simulated_stack()
    seed_due_checks(stack, 2_000)
    shards = Counter(keys.due_shard(s, c) for s, c in stack.pairs)
    # when one tick runs
    fan_out_tick(stack)
    # then all 64 shards hold a bounded share, each was handed out once, and all ran
    assert len(shards) == 64 and max(shards.values()) < 2 * 2_000 / 64
    assert len(stack.sqs._client.messages[SHARDS_URL]) == 64
    assert len(stack.check_messages()) == 2_000
    # and the table was written once per shard (its checkpoint), read three times per shard
    assert stack.calls["UpdateItem"] == 64 and stack.calls["GetItem"] == 64
    assert stack.calls["Query"] == 3 * 64 and stack.calls["BatchGetItem"] == 0
    assert {_checkpoint(stack, shard) for shard in shards} == {TICK_EPOCH + 60}


def test_empty_shards_are_not_handed_out():
    # given five checks, so at most five occupied shards
    stack = simulated_stack()
    seed_due_checks(stack, 5)
    occupied = {keys.due_shard(s, c) for s, c in stack.pairs}
    # when one tick runs
    fan_out_tick(stack)
    # then only those shards were handed to workers
    handed = {json.loads(e["MessageBody"])["shard"] for e in stack.sqs._client.messages[SHARDS_URL]}
    assert handed == occupied
    assert len(stack.check_messages()) == 5


def test_an_idle_deployment_hands_out_no_shard():
    # given nothing scheduled
    stack = simulated_stack()
    seed_due_checks(stack, 0)
    # when a tick runs
    fan_out_tick(stack)
    # then no worker is started: only the census read each shard's index once
    assert stack.sqs._client.messages[SHARDS_URL] == []
    assert stack.calls == Counter({"Query": 64})


def test_the_sends_of_a_shard_run_in_parallel_bounded_batches():
    # given 1,600 checks all in one shard
    stack = simulated_stack()
    seed_due_checks(stack, 1_600)
    _all_in_shard_zero(stack)
    started = stack.clock.elapsed
    # when that shard's worker runs with 16 threads
    report = enqueue_shard(
        stack.collaborators,
        "DUE#0",
        tick_start=TICK_EPOCH,
        time_left=lambda: 60.0,
        parallel=stack.clock.parallel(16),
    )
    took = stack.clock.elapsed - started
    # then every check is sent in batches of ten, one checkpoint written, in a fraction of the
    # sequential time
    assert report.enqueued == 1_600 and report.deferred == 0
    assert stack.calls["SendMessageBatch"] == 160 and stack.calls["UpdateItem"] == 1
    sequential = 160 * 0.010
    assert took < sequential / 4


def test_a_tick_killed_midway_leaves_nothing_claimed_unsent_and_the_next_tick_runs_every_check_once():
    # given 3,000 checks due in the tick, and a tick killed after half the calls a whole tick makes
    probe = simulated_stack()
    seed_due_checks(probe, 3_000)
    fan_out_tick(probe)
    stack = simulated_stack()
    seed_due_checks(stack, 3_000)
    stack.kill.after = sum(probe.calls.values()) // 2
    with pytest.raises(Killed):
        fan_out_tick(stack)
    assert 0 < len(stack.check_messages()) < 3_000
    assert claimed_but_unsent(stack) == 0
    # when the next tick runs a minute later
    stack.kill.after = None
    stack.clock.charge(60)
    next_tick = int(stack.clock().timestamp())
    fan_out_tick(stack)
    # then every check has a run for the killed minute (its slot then, or a later slot it missed:
    # one run makes up a missed stretch), and every run went out under the id of its own slot
    slots = slots_by_check(stack)
    for pair in stack.pairs:
        assert any(TICK_EPOCH <= slot < next_tick for slot in slots[pair]), pair
    for body in stack.check_messages():
        assert body["runId"] == scheduled_run_id(body["systemId"], body["configurationId"], body["slot"])


def test_a_shard_out_of_time_keeps_its_checkpoint_and_the_next_tick_sends_the_rest():
    # given one shard of 500 checks whose worker has time for one round of sends only
    stack = simulated_stack()
    seed_due_checks(stack, 500)
    _all_in_shard_zero(stack)
    answers = iter([60.0, 1.0])
    # when it runs, then the next tick's worker runs the same shard
    first = enqueue_shard(
        stack.collaborators,
        "DUE#0",
        tick_start=TICK_EPOCH,
        time_left=lambda: next(answers),
        parallel=stack.clock.parallel(16),
    )
    assert _checkpoint(stack, "DUE#0") == TICK_EPOCH
    stack.clock.charge(60)
    second = enqueue_due(stack.collaborators, parallel=stack.clock.parallel(16))
    # then the first sent one round (16 batches) and left the rest; the next planned the same
    # window again and the new minute, so every check's slot went out under its one run id
    assert (first.enqueued, first.deferred) == (160, 340)
    assert second.enqueued == 1_000 and _checkpoint(stack, "DUE#0") == TICK_EPOCH + 120
    sent = runs_by_check(stack)
    for pair in stack.pairs:
        (slot,) = tick_slots(stack, pair)
        assert 1 <= sent[pair][scheduled_run_id(*pair, slot)] <= 2
        assert len(sent[pair]) == 2


def test_runs_are_not_late_by_the_time_their_worker_started_late():
    # given 60 checks each due on its own slot of the tick, and workers starting 30 s into the tick
    stack = simulated_stack()
    seed_due_checks(stack, 60)
    stack.clock.charge(30)
    # when the workers send them
    bodies = [ShardRequest(shard, TICK_EPOCH).body() for shard in keys.all_due_shards()]
    run_shard_requests(stack.collaborators, bodies, time_left=lambda: 60.0)
    # then each delay is counted from the send: a run starts on its slot, or at once if that passed
    entries = stack.sqs._client.messages[CHECKS_URL]
    assert len(entries) == 60
    for entry in entries:
        body = json.loads(entry["MessageBody"])
        on_time = max(0, body["slot"] - (TICK_EPOCH + 30))
        assert on_time - 3 <= entry["DelaySeconds"] <= on_time  # 64 shards take ~2 simulated s here
        assert body["runId"] == scheduled_run_id(body["systemId"], body["configurationId"], body["slot"])
    assert any(entry["DelaySeconds"] > 0 for entry in entries)


def test_a_shard_request_older_than_a_tick_is_dropped():
    # given a shard request of a tick that began a minute ago
    stack = simulated_stack()
    seed_due_checks(stack, 50)
    stack.clock.charge(60)
    body = ShardRequest("DUE#0", TICK_EPOCH).body()
    # when a worker receives it
    report = run_shard_requests(stack.collaborators, [body], time_left=lambda: 60.0)
    # then it does nothing: the newer tick covers that shard
    assert report.due == 0 and stack.calls["Query"] == 0


def test_two_ticks_in_one_minute_send_each_run_once():
    # given 300 checks due in the tick
    stack = simulated_stack()
    seed_due_checks(stack, 300)
    # when a second tick runs a few seconds after the first
    fan_out_tick(stack)
    with contextlib.suppress(Killed):
        fan_out_tick(stack)
    # then the second planned only the seconds after the first one's window: no slot went out twice
    slots = slots_by_check(stack)
    assert all(count == 1 for pair in stack.pairs for count in slots[pair].values())
    assert 300 <= len(stack.check_messages()) < 330
