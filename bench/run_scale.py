"""Recording at scale: runs of many checks of one system, write units per run, and what a run costs.

The real `record_run` on the in-memory store charged as DynamoDB charges the repository's calls
(bench/metered_store.py: calls, request units from item sizes, typical latencies), held to the
repository on moto by tests/integration/test_metered_store.py. Rows:
- `runs failed, 200 checks at 10 s on one system (%)`: 200 checks of one system, 4 rounds (40 s
  of runs), recorded by 32 concurrent threads, each call atomic as in DynamoDB. The first
  round moves every check from unknown, and every round a quarter of the checks fail or recover
  (thresholds of 1), so the system view is rewritten often and writers race on it. A run failed
  when `record_run` raised after its retries.
- `write units per run, 1 / 50 / 200 checks per system`: a first round, then 2 rounds of healthy
  runs; write request units per run of the steady rounds, for each size. The note weighs the items
  of the transaction, and an hourly aggregate after a whole hour of runs with spread latencies (its
  DDSketch bins grow with the spread; over 1 KB the aggregate's update costs 4 WRU, not 2).
- `USD per million runs (list prices, counted calls)`: 10 checks per system at 60 s, steady
  healthy runs with the DynamoDB status cache; the model adds the scheduler's share per run (measured
  on a tick of 10,000 checks, bench/scheduler_sim.py) and the executor's, and prices everything at
  the list prices of bench/capacity.py.
Run: `PYTHONPATH=src:. python -m bench.run_scale` from the repository root.
"""

from __future__ import annotations

import functools
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING

from bench.sizes import scaled
from bench.table import row

if TYPE_CHECKING:
    from shared.domain.state_items import SystemStateItem

GOAL_WRITE_UNITS = 6
GOAL_USD = 5.0
THREADS = 32
BATCH = 10  # runs per executor invocation (the event source mapping's batch size)
EXECUTOR_MEMORY_GB = 0.5  # Globals MemorySize in template.yaml
PROBE_SECONDS = 0.3  # assumed wall time of a batch's concurrent HTTP probes
SCHEDULED_CHECKS = scaled(10_000, 100)  # the deployment whose scheduler share a run carries (64 shards)
START = datetime(2030, 1, 1, tzinfo=UTC)
SEEDED_AT = "2030-01-01T00:00:00.000Z"
BUSY_CHECKS = scaled(200, 8)  # checks of the one system of the failed-runs row
BUSY_ROUNDS = scaled(4, 2)
STEADY_SIZES = (1, scaled(50, 2), scaled(200, 3))  # checks per system of the write-units row


def world(
    system_id: str,
    checks: int,
    *,
    thresholds: dict | None = None,
    run_events: bool = False,
    interval: int = 10,
):
    """A metered store with one system of `checks` local checks, and collaborators recording into it."""
    from bench.metered_store import MeteredCache, MeteredStore
    from shared.domain.assignment_models import AssignmentPut
    from shared.domain.catalog_items import SystemItem
    from shared.events import RecordingPublisher
    from shared.services.context import Collaborators
    from shared.services.health_state import initial_state
    from tests.fakes.memory_store import MemoryStore
    from tests.fakes.seed import configuration_item

    store = MemoryStore()
    store.create_system(
        SystemItem(
            id=system_id, name=system_id.title(), created_at=SEEDED_AT, updated_at=SEEDED_AT, version=1
        ),
        initial_state(system_id, SEEDED_AT),
    )
    put = AssignmentPut.model_validate({"stateThresholds": thresholds} if thresholds else {})
    settings = put.model_dump(mode="json", by_alias=True)
    ids = []
    for n in range(checks):
        configuration_id = f"check-{n:04d}"
        store.create_configuration(
            configuration_item(configuration_id, f"Check {n}", interval_seconds=interval)
        )
        store.put_assignment(
            system_id, configuration_id, settings, expected_version=None, now=SEEDED_AT, now_epoch=0
        )
        ids.append(configuration_id)
    metered = MeteredStore(store)
    c = Collaborators(
        repository=metered,
        cache=MeteredCache(metered),
        publisher=RecordingPublisher(),
        settings=SimpleNamespace(run_events=run_events),
        encryptor=None,
    )
    return c, metered, ids


def a_run(system_id: str, configuration_id: str, round_: int, status: str, interval: int = 10):
    from shared.services.recording import RunInput

    at = START + timedelta(seconds=interval * round_)
    return RunInput(
        run_id=f"{system_id}:{configuration_id}:{round_}",
        system_id=system_id,
        configuration_id=configuration_id,
        source_id="local",
        source_label="Local",
        status=status,
        latency_ms=42.0,
        timestamp=at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        result={"statusCode": 200 if status == "healthy" else 503},
        assertions=[
            {"source": "result.statusCode", "operator": "eq", "value": 200, "passed": status == "healthy"}
        ],
    )


def _failed_runs_row() -> dict:
    from shared.events import SYSTEM_HEALTH_CHANGED
    from shared.services.recording import record_run

    checks, rounds = BUSY_CHECKS, BUSY_ROUNDS
    c, metered, ids = world(
        "busy", checks, thresholds={"mode": "consecutive", "degradedAfter": 1, "recoverAfter": 1}
    )
    failed: list[str] = []
    lock = threading.Lock()

    def record(run) -> None:
        try:
            record_run(c, run)
        except Exception as error:
            with lock:
                failed.append(repr(error))

    total = 0
    for r in range(rounds):
        runs = [
            a_run("busy", k, r, "unhealthy" if (n + r) % 4 == 0 else "healthy") for n, k in enumerate(ids)
        ]
        total += len(runs)
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(record, runs))
    changes = len(c.publisher.of_type(SYSTEM_HEALTH_CHANGED))
    state = c.repository.get_state("busy")
    views = metered.calls["PutItem"] + metered.calls["TransactWriteItems"] - total
    percent = 100 * len(failed) / total
    return row(
        f"runs failed, {checks} checks at 10 s on one system (%)",
        round(percent, 2),
        total,
        "0",
        not failed,
        f"{total} runs ({rounds} rounds of {checks} checks; every round a quarter of the checks fail or"
        f" recover), {THREADS} threads, each store call atomic; failed {len(failed)}"
        f" {sorted(set(failed))[:2]}; view writes and conflicts {views}; System Health Changed"
        f" {changes}; the view shows {len(state.view.checks)} checks ({_state_bytes(state)} B)",
    )


def _state_bytes(state: SystemStateItem) -> int:
    from bench.capacity import item_size
    from shared.data.table import serialize

    return item_size(serialize(state.to_item()))


def steady_units(
    checks: int, rounds: int = 2, run_events: bool = False, interval: int = 10
) -> tuple[float, float, object]:
    """Write units per run of the first round and of `rounds` healthy rounds after it."""
    from shared.services.recording import record_run

    c, metered, ids = world("steady", checks, run_events=run_events, interval=interval)
    clock = SimpleNamespace(now=START)
    c.clock = lambda: clock.now
    for k in ids:
        record_run(c, a_run("steady", k, 0, "healthy", interval))
    first = metered.write_units / len(ids)
    metered.reset()
    for r in range(1, rounds + 1):
        clock.now = START + timedelta(seconds=interval * r)
        for k in ids:
            record_run(c, a_run("steady", k, r, "healthy", interval))
    return first, metered.write_units / (rounds * len(ids)), metered


def _write_units_row() -> dict:
    figures = {n: steady_units(n) for n in STEADY_SIZES}
    steady = [round(f[1], 2) for f in figures.values()]
    first = [round(f[0], 2) for f in figures.values()]
    loud = round(steady_units(STEADY_SIZES[1], run_events=True)[1], 2)
    largest = figures[STEADY_SIZES[-1]][2].largest_items
    hours = " / ".join(f"{_hour_bytes(n, s)} B" for n, s in ((60, 0.7), (360, 0.7), (360, 1.2)))
    flat = max(steady) - min(steady) <= 0.5
    return row(
        f"write units per run, {' / '.join(map(str, STEADY_SIZES))} checks per system",
        max(steady),
        min(steady),
        f"<= {GOAL_WRITE_UNITS} each, flat",
        max(steady) <= GOAL_WRITE_UNITS and flat,
        f"steady runs {' / '.join(map(str, steady))} WRU (flat); first runs, each moving its check from"
        f" unknown and so rewriting the view: {' / '.join(map(str, first))}; with HC_RUN_EVENTS=true"
        f" {loud}; per run: transaction of run item (the idempotency marker), hourly aggregate, check"
        f" item (2 WRU each, 1 KB or less: largest hourly aggregate {largest['aggregate']} B, check item"
        f" {largest['check']} B; an hourly aggregate after an hour of 60 runs, 360 runs with latencies"
        f" lognormal sigma 0.7, and 360 with sigma 1.2: {hours}); no daily aggregate (rolled up from"
        f" hourly ones), no outbox entry and no cache invalidation while nothing changes (per-run events"
        f" off by default)",
    )


def _hour_bytes(runs: int, sigma: float) -> int:
    """The size of an hourly aggregate item after `runs` runs with lognormal latencies (median ~80 ms)."""
    import random

    from bench.capacity import item_size
    from shared.data import keys
    from shared.data.table import plain_key, serialize
    from shared.domain import aggregates

    rng = random.Random(runs)
    item: dict = {"expiresAt": 1_900_000_000, "start": "2030-01-01T00:00:00Z", "sourceId": "local"}
    for _ in range(runs):
        for name, value in aggregates.run_increments("healthy", rng.lognormvariate(4.4, sigma)).items():
            item[name] = item.get(name, 0) + value
    key = keys.aggregate_key("hourly", "steady", "check-0000", item["start"], "local")
    return item_size(serialize(plain_key(key) | item))


def cost_model(run_events: bool = False) -> tuple[float, dict, dict]:
    """USD per million steady runs of 10 checks per system at 60 s, by service, and the counted inputs."""
    from bench.capacity import PRICES

    rounds = 10  # ten minutes: each check reads its system's outbox once per OWNED_FOR (5 min)
    _, _, metered = steady_units(10, rounds=rounds, run_events=run_events, interval=60)
    runs = 10 * rounds
    recording_wru = metered.write_units / runs
    recording_rru = metered.read_units / runs
    # the scheduler's share, measured on a tick of its real code (bench/scheduler_sim.py): a checkpoint
    # per shard and tick, the shard's index entries read once per minute; the executor reads the
    # batch's assignments and configurations in two BatchGetItems (one unit per item)
    scheduler_wru, scheduler_rru = scheduler_units_per_run()
    other_rru = scheduler_rru + 2
    events = 2 if run_events else 0
    lambda_seconds = PROBE_SECONDS / BATCH + metered.simulated_seconds / runs + 2 * 0.008 / BATCH
    inputs = {
        "recording WRU": round(recording_wru, 2),
        "recording RRU": round(recording_rru, 2),
        "scheduler WRU": round(scheduler_wru, 4),
        "scheduler + executor loads RRU": round(other_rru, 4),
        "SQS requests": 0.3,
        "events": events,
        "executor GB-s": round(lambda_seconds * EXECUTOR_MEMORY_GB, 4),
        "calls per run": {k: round(v / runs, 2) for k, v in sorted(metered.calls.items())},
    }
    usd = {
        "DynamoDB writes": (recording_wru + scheduler_wru) * PRICES["DynamoDB write request unit"],
        "DynamoDB reads": (recording_rru + other_rru) * PRICES["DynamoDB read request unit"],
        "SQS": 0.3 * PRICES["SQS request (64 KB)"],  # send (batched 10), receive and delete per 10
        "EventBridge": events * PRICES["EventBridge custom event (64 KB)"],
        "Lambda": PRICES["Lambda request"] / BATCH
        + lambda_seconds * EXECUTOR_MEMORY_GB * PRICES["Lambda arm64 GB-second"],
    }
    usd = {k: round(v * 1e6, 2) for k, v in usd.items()}
    return round(sum(usd.values()), 2), usd, inputs


@functools.cache
def scheduler_units_per_run(checks: int = SCHEDULED_CHECKS) -> tuple[float, float]:
    """Write and read units the scheduler spends per run: one fan-out tick of `checks` checks at 60 s
    (10 per system) on the latency-injected fakes, which count request units by item size."""
    from bench.scheduler_sim import fan_out_tick, seed_due_checks, simulated_stack

    stack = simulated_stack()
    seed_due_checks(stack, checks)
    fan_out_tick(stack)
    runs, table = len(stack.check_messages()), stack.dynamodb._client
    return table.write_units / runs, table.read_units / runs


def _cost_row() -> dict:
    total, usd, inputs = cost_model()
    loud, _, _ = cost_model(run_events=True)
    return row(
        "USD per million runs (list prices, counted calls)",
        total,
        GOAL_USD,
        f"<= {GOAL_USD:g} (10 checks per system, 60 s)",
        total <= GOAL_USD,
        f"{', '.join(f'{k} ${v}' for k, v in usd.items())}; with HC_RUN_EVENTS=true ${loud};"
        f" inputs per run {inputs}",
    )


def rows() -> list[dict]:
    from bench import use_fake_aws

    use_fake_aws()  # Powertools metrics need their namespace when a thread flushes 100 of them
    return [_failed_runs_row(), _write_units_row(), _cost_row()]


if __name__ == "__main__":
    from bench.table import render

    print(render(rows()))
