"""The real scheduler (shared.services.scheduling, tick_dispatch, the repository and the queues) on
the latency-injected store: seeding, one fan-out tick, one single-invocation tick, and what a
killed tick left behind. bench/scheduler.py prints the rows; tests use the same pieces.
`stack.dynamodb._client.read_units / write_units` count the request units of the fakes' calls.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bench.fake_aws import FakeDynamoDB, FakeSQS, KillSwitch
from bench.latency import LatencyInjected, SimulatedClock

TABLE = "bench-healthcheck"
CHECKS_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/checks"
SHARDS_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/scheduler"
TICK_START = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)
TICK_EPOCH = int(TICK_START.timestamp())
SCHEDULED_SINCE = TICK_EPOCH - 86_400  # the seeded checks' schedules began a day before the tick
WORKER_TIMEOUT_SECONDS = 60
# Assumed: SQS hands a shard request to a worker and the worker starts cold (bench/cold_start.py).
WORKER_START_SECONDS = 1.0
# Assumed: a 1,024 MB arm64 Lambda spends twice this machine's CPU on one boto3 call.
LAMBDA_CPU_FACTOR = 2.0


@dataclass
class SimulatedStack:
    clock: SimulatedClock
    dynamodb: LatencyInjected
    sqs: LatencyInjected
    kill: KillSwitch
    collaborators: Any
    cpu_ms_per_call: float = 0.0
    pairs: list[tuple[str, str]] = field(default_factory=list)

    @property
    def calls(self) -> Counter[str]:
        return self.dynamodb.calls + self.sqs.calls

    def check_messages(self) -> list[dict]:
        return [json.loads(e["MessageBody"]) for e in self.sqs._client.messages[CHECKS_URL]]


def simulated_stack(
    dynamodb_client: Any = None, sqs_client: Any = None, *, cpu_ms_per_call: float = 0.0, shards: int = 64
) -> SimulatedStack:
    """Collaborators whose clients cost typical latencies on one simulated clock (fakes by default)."""
    from shared.data.repository import Repository
    from shared.events import RecordingPublisher
    from shared.queue import ChecksQueue
    from shared.services.context import Collaborators
    from shared.settings import Settings

    kill = KillSwitch()
    clock = SimulatedClock(TICK_START)
    dynamodb = LatencyInjected(dynamodb_client or FakeDynamoDB(kill), clock)
    sqs = LatencyInjected(sqs_client or FakeSQS(kill), clock)
    settings = Settings(
        TABLE_NAME=TABLE, CHECKS_QUEUE_URL=CHECKS_URL, SCHEDULER_QUEUE_URL=SHARDS_URL, HC_DUE_SHARDS=shards
    )
    collaborators = Collaborators(
        repository=Repository(dynamodb, TABLE),
        cache=None,
        publisher=RecordingPublisher(),
        settings=settings,
        clock=clock,
        queue=ChecksQueue(sqs, CHECKS_URL),
    )
    return SimulatedStack(clock, dynamodb, sqs, kill, collaborators, cpu_ms_per_call)


def seed_due_checks(stack: SimulatedStack, count: int, *, interval_seconds: int = 60) -> None:
    """`count` enabled local assignments scheduled long ago (one slot each in the tick's minute at 60 s),
    written as the catalog writes them, and every shard planned up to the tick (not counted: the
    counters are reset afterwards)."""
    from shared.data import keys
    from shared.data.table import plain_key, serialize

    client = stack.dynamodb._client
    shards = stack.collaborators.settings.due_shards
    for n in range(count):
        system_id, configuration_id = f"sys-{n // 10:06d}", f"check-{n % 10}"
        item = {
            "pk": f"SYSTEM#{system_id}",
            "sk": f"CHECK#{configuration_id}",
            "gsi1pk": "TYPE#ASSIGNMENT",
            "gsi1sk": f"{system_id}#{configuration_id}",
            "systemId": system_id,
            "configurationId": configuration_id,
            "configurationName": f"Check {n % 10}",
            "strategyId": "http",
            "enabled": True,
            "includeLocal": True,
            "satelliteIds": [],
            "intervalSeconds": interval_seconds,
            "configurationPaused": False,
            "version": 1,
            "dueShard": keys.due_shard(system_id, configuration_id, shards),
            "scheduledSince": SCHEDULED_SINCE,
        }
        client.put_item(TableName=TABLE, Item=serialize(item))
        stack.pairs.append((system_id, configuration_id))
    for shard in keys.all_due_shards(shards):
        checkpoint = plain_key(keys.schedule_checkpoint_key(shard)) | {"plannedThrough": TICK_EPOCH}
        client.put_item(TableName=TABLE, Item=serialize(checkpoint))
    stack.dynamodb.calls.clear()
    stack.sqs.calls.clear()
    client.read_units = client.write_units = 0.0


def fan_out_tick(stack: SimulatedStack, *, concurrency: int = 64) -> float:
    """The production tick: SchedulerFunction dispatches one request per shard, then one worker per
    shard (up to `concurrency` at once) runs it. Returns the tick's simulated duration in seconds."""
    from shared.queue import ShardQueue
    from shared.services.scheduling import WORKERS
    from shared.services.tick_dispatch import dispatch_tick, run_shard_requests

    c, clock = stack.collaborators, stack.clock
    began = clock.elapsed
    sent_before = len(stack.sqs._client.messages[SHARDS_URL])
    _as_one_process(stack, lambda: dispatch_tick(c, ShardQueue(stack.sqs, SHARDS_URL)))
    bodies = [e["MessageBody"] for e in stack.sqs._client.messages[SHARDS_URL][sent_before:]]

    def worker(body: str) -> None:
        clock.charge(WORKER_START_SECONDS)
        budget = clock.budget(WORKER_TIMEOUT_SECONDS)
        _as_one_process(
            stack, lambda: run_shard_requests(c, [body], time_left=budget, parallel=clock.parallel(WORKERS))
        )

    clock.parallel(concurrency)(worker, bodies)
    return clock.elapsed - began


def single_invocation_tick(stack: SimulatedStack, *, timeout_seconds: float = 900) -> tuple[float, float]:
    """The alternative: one invocation runs every shard on its own thread, each with WORKERS threads.
    Returns its simulated duration, and the part of it latency alone accounts for."""
    from shared.services.scheduling import WORKERS, enqueue_shard

    c, clock = stack.collaborators, stack.clock
    began = clock.elapsed
    budget = clock.budget(timeout_seconds)
    tick_start = int(c.clock().timestamp())
    shards = [f"DUE#{n}" for n in range(c.settings.due_shards)]
    latency: list[float] = []

    def tick() -> None:
        clock.parallel(len(shards))(
            lambda shard: enqueue_shard(
                c, shard, tick_start=tick_start, time_left=budget, parallel=clock.parallel(WORKERS)
            ),
            shards,
        )
        latency.append(clock.elapsed - began)

    _as_one_process(stack, tick)
    return clock.elapsed - began, latency[0]


def _as_one_process(stack: SimulatedStack, work: Any) -> Any:
    """Run `work` as one invocation: it lasts at least as long as its calls' CPU takes."""
    began, calls_before = stack.clock.elapsed, sum(stack.calls.values())
    result = work()
    cpu_seconds = (
        (sum(stack.calls.values()) - calls_before) * stack.cpu_ms_per_call * LAMBDA_CPU_FACTOR / 1000
    )
    stack.clock.elapsed = max(stack.clock.elapsed, began + cpu_seconds)
    return result


def slots_by_check(stack: SimulatedStack) -> dict[tuple[str, str], Counter[int]]:
    """Slots sent per (system, check), with how often each was sent."""
    sent: dict[tuple[str, str], Counter[int]] = defaultdict(Counter)
    for body in stack.check_messages():
        sent[(body["systemId"], body["configurationId"])][body["slot"]] += 1
    return sent


def runs_by_check(stack: SimulatedStack) -> dict[tuple[str, str], Counter[str]]:
    """Run ids sent per (system, check), with how often each was sent."""
    sent: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for body in stack.check_messages():
        sent[(body["systemId"], body["configurationId"])][body["runId"]] += 1
    return sent


def tick_slots(stack: SimulatedStack, pair: tuple[str, str], interval_seconds: int = 60) -> list[int]:
    """The slots of a seeded check in the seeded tick's window."""
    from shared.domain.schedule import slots_in_window

    window = (TICK_EPOCH, TICK_EPOCH + 60)
    return slots_in_window(*pair, interval_seconds, SCHEDULED_SINCE, window, TICK_EPOCH)


def claimed_but_unsent(stack: SimulatedStack) -> int:
    """Checks whose shard's checkpoint moved past a slot of theirs whose run was never sent."""
    from shared.data import keys
    from shared.domain.schedule import scheduled_run_id

    sent = runs_by_check(stack)
    items = stack.dynamodb._client.items
    shards = stack.collaborators.settings.due_shards
    lost = 0
    for pair in stack.pairs:
        checkpoint = items[(f"SCHED#{keys.due_shard(*pair, shards)}", keys.META)]
        if int(checkpoint["plannedThrough"]["N"]) == TICK_EPOCH:
            continue  # not planned past the tick's start: nothing claimed
        if any(scheduled_run_id(*pair, slot) not in sent[pair] for slot in tick_slots(stack, pair)):
            lost += 1
    return lost
