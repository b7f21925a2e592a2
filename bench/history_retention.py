"""History reads on moto (the items a 30-day chart of 500 points reads), and the real retention pass
over 10,000 assignments on the in-memory store behind the latency table (bench/retention_sim.py), on
the simulated clock: invocations of RetentionFunction's timeout continuing hourly from the checkpoint.

Run: `PYTHONPATH=src:. python -m bench.history_retention` from the repository root.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import describe, use_fake_aws
from bench.latency import SimulatedClock
from bench.retention_sim import EXPIRY_WRITERS
from bench.sizes import scaled
from bench.table import row

NOW = datetime(2026, 12, 3, 10, 37, tzinfo=UTC)
ASSIGNMENTS = scaled(10_000, 20)
# assignments whose raw retention went from 7 to SHORTENED_DAYS since their runs were stored
SHORTENED = scaled(100, 2)
SHORTENED_DAYS = 3
LENGTHENED = scaled(50, 2)  # ... from 7 to LENGTHENED_DAYS: every run's expiry is moved
LENGTHENED_DAYS = 14
DELETED_SYSTEMS = scaled(20, 2)  # each with one check, deleted at the pass's start: a tombstone each
RUN_EVERY_MINUTES = scaled(10, 240)  # smoke: 42 runs a check instead of 1,008
RUNS_PER_CHECK = 7 * 24 * 60 // RUN_EVERY_MINUTES  # the 7 days the old raw retention kept
HISTORY_GOAL_ITEMS = 800
HISTORY_HOURS = scaled(31 * 24, 48)  # hourly aggregates seeded for the 30-day chart
HISTORY_RUNS = scaled(180, 20)  # raw runs, one a minute, for the chart's recent edge
PASS_GOAL_HOURS = 2.0


class ItemsRead:
    """Forwards to a DynamoDB client and counts the items its reads return."""

    def __init__(self, client: Any):
        self._client = client
        self.items = 0
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._client, name)
        if name not in ("query", "get_item", "batch_get_item"):
            return target

        def counted(**request: Any) -> Any:
            answer = target(**request)
            self.calls[name] += 1
            if name == "query":
                self.items += len(answer.get("Items", []))
            elif name == "get_item":
                self.items += "Item" in answer
            else:
                self.items += sum(len(found) for found in answer.get("Responses", {}).values())
            return answer

        return counted


def _settings(raw_days: int = 7) -> dict:
    return {
        "enabled": True,
        "includeLocal": True,
        "satelliteIds": [],
        "quorum": {"mode": "any"},
        "stateThresholds": {
            "mode": "consecutive",
            "degradedAfter": 1,
            "unhealthyAfter": 3,
            "recoverAfter": 1,
        },
        "retention": {"rawDays": raw_days, "hourlyDays": 30, "dailyDays": 365},
    }


def _stamp(moment: datetime) -> str:
    from shared.domain.wire import format_timestamp

    return format_timestamp(moment)


def _items(runs: list[dict]) -> list:
    from shared.domain.history_items import RunItem

    return [RunItem.model_validate(r) for r in runs]


def _runs(system_id: str, moments: list[datetime]) -> list[dict]:
    return [
        {
            "runId": f"{system_id}-{n}",
            "systemId": system_id,
            "configurationId": "web",
            "sourceId": "local",
            "status": "healthy",
            "latencyMs": 20 + n % 50,
            "timestamp": _stamp(m),
        }
        for n, m in enumerate(moments)
    ]


def _history_row() -> dict:
    import boto3

    from shared.data import keys
    from shared.data.repository import Repository
    from shared.data.table import plain_key
    from shared.domain.aggregates import hour_key, merge_items, run_increments
    from shared.services.context import Collaborators
    from shared.services.history import history
    from tests.integration.api.stack import TABLE

    reads = ItemsRead(boto3.client("dynamodb", region_name="us-east-1"))
    repository = Repository(reads, TABLE)
    from shared.domain.catalog_items import SystemItem
    from shared.domain.system_state import initial_state
    from tests.fakes.seed import configuration_item

    created = "2030-01-01T00:00:00.000Z"
    repository.create_system(
        SystemItem(id="shop", name="Shop", created_at=created, updated_at=created, version=1),
        initial_state("shop", created),
    )
    repository.create_configuration(configuration_item("web"))
    repository.put_assignment(
        "shop", "web", _settings(), expected_version=None, now=_stamp(NOW - timedelta(days=60)), now_epoch=0
    )
    hours = [NOW - timedelta(hours=h) for h in range(HISTORY_HOURS)]
    hourly = merge_items(run_increments("healthy", 20 + n) for n in range(60))
    repository._batch_write(
        puts=[
            plain_key(keys.aggregate_key("hourly", "shop", "web", hour_key(h), "local"))
            | hourly
            | {"start": hour_key(h), "sourceId": "local"}
            for h in hours
        ]
    )
    repository.put_runs(_items(_runs("shop", [NOW - timedelta(minutes=m) for m in range(HISTORY_RUNS)])))
    c = Collaborators(repository=repository, cache=None, publisher=None, settings=None, clock=lambda: NOW)
    reads.items, reads.calls = 0, Counter()
    history(
        c, "shop", "web", start=_stamp(NOW - timedelta(days=30)), end=_stamp(NOW), points=500, source=None
    )
    return row(
        "history 30 d 500 points: items read",
        reads.items,
        math.nan,
        f"<= {HISTORY_GOAL_ITEMS}",
        reads.items <= HISTORY_GOAL_ITEMS,
        f"a check run every minute, one source; 2-hour buckets from hourly items, edges from raw runs;"
        f" {describe(reads.calls)}",
    )


def _seed_retention(store: Any) -> dict[str, int]:
    """10,000 assignments as the catalog writes them: most in steady state (their items left to TTL),
    some whose raw retention was shortened or lengthened since their runs were stored, and deleted
    systems whose tombstones purge runs, hourly and daily aggregates. Returns what was stored."""
    from shared.domain.aggregates import day_key, hour_key
    from shared.domain.catalog_items import SystemItem
    from shared.domain.records import expiry_epoch
    from shared.domain.system_state import initial_state
    from tests.fakes.seed import configuration_item

    created = _stamp(NOW - timedelta(days=60))
    store.create_configuration(configuration_item("web", interval_seconds=600))
    moments = [NOW - timedelta(minutes=RUN_EVERY_MINUTES * k) for k in range(RUNS_PER_CHECK)]
    seeded = Counter()
    for n in range(ASSIGNMENTS + DELETED_SYSTEMS):
        system_id = f"sys-{n:05d}"
        system = SystemItem(id=system_id, name=system_id, created_at=created, updated_at=created, version=1)
        store.create_system(system, initial_state(system_id, created))
        store.put_assignment(system_id, "web", _settings(), expected_version=None, now=created, now_epoch=0)
        changed_days = (
            SHORTENED_DAYS if n < SHORTENED else LENGTHENED_DAYS if n < SHORTENED + LENGTHENED else None
        )
        deleted = n >= ASSIGNMENTS
        if changed_days is None and not deleted:
            continue
        if changed_days is not None:
            store.put_assignment(
                system_id,
                "web",
                _settings(raw_days=changed_days),
                expected_version=1,
                now=created,
                now_epoch=0,
            )
        runs = _runs(system_id, moments)
        for run, moment in zip(runs, moments, strict=True):
            run["expiresAt"] = expiry_epoch(moment, 7)
        seeded["runs"] += store.put_runs(_items(runs))
        if deleted:
            for tier, starts in (
                ("hourly", {hour_key(m) for m in moments}),
                ("daily", {day_key(m) for m in moments}),
            ):
                for start in starts:
                    store.aggregates[(tier, system_id, "web", start, "local")] = {
                        "start": start,
                        "sourceId": "local",
                        "runCount": 6,
                        "expiresAt": 0,
                    }
                    seeded[tier] += 1
            store.delete_system(system_id, deleted_at=_stamp(NOW))
    return seeded


def _retention_rows() -> list[dict]:
    from bench.latency import client_cpu_ms_per_call
    from bench.retention_sim import Cache, PortLatency, retention_timeout_seconds, run_pass
    from bench.scheduler_sim import LAMBDA_CPU_FACTOR
    from shared.services.context import Collaborators
    from tests.fakes.memory_store import MemoryStore
    from tests.fakes.memory_sweeps import MemorySweepCheckpoints

    store = MemoryStore()
    seeded = _seed_retention(store)
    clock = SimulatedClock(NOW)
    calls: Counter[str] = Counter()
    timed = PortLatency(store, clock, calls)
    c = Collaborators(repository=timed, cache=Cache(), publisher=None, settings=None, clock=clock)
    timeout = retention_timeout_seconds()
    cpu_ms = client_cpu_ms_per_call()
    outcome = run_pass(
        c,
        timed,
        PortLatency(MemorySweepCheckpoints(), clock, calls),
        clock,
        calls,
        timeout_seconds=timeout,
        cpu_ms_per_call=cpu_ms,
        cpu_factor=LAMBDA_CPU_FACTOR,
    )
    left = sum(1 for run in store.runs.values() if run["systemId"] < f"sys-{SHORTENED:05d}")
    hours = outcome.seconds / 3600
    work = (
        f"{ASSIGNMENTS} assignments: {SHORTENED} with raw retention shortened 7->{SHORTENED_DAYS} d,"
        f" {LENGTHENED} lengthened 7->{LENGTHENED_DAYS} d ({RUNS_PER_CHECK} runs each, one per"
        f" {RUN_EVERY_MINUTES} min), the rest steady state (left to TTL); {DELETED_SYSTEMS} deleted"
        f" systems ({RUNS_PER_CHECK} runs, {seeded['hourly'] // DELETED_SYSTEMS} hourly and"
        f" {seeded['daily'] // DELETED_SYSTEMS} daily items each); {outcome.invocations} invocation(s) of"
        f" {timeout:g} s (RetentionFunction's timeout); calls {describe(calls)}"
    )
    return [
        row(
            "retention: assignments finished per invocation at 10k assignments",
            outcome.first_invocation_assignments,
            ASSIGNMENTS,
            "-",
            True,
            work,
        ),
        row(
            "retention: full pass (simulated h)",
            round(hours, 3),
            math.nan,
            f"<= {PASS_GOAL_HOURS:g} h",
            hours <= PASS_GOAL_HOURS and outcome.finished,
            f"in-memory store behind bench/latency.py's table (calls counted per port call as the"
            f" repository makes them, checked against moto by tests/integration/test_retention_harness.py);"
            f" simulated time = latency along the sequential path ({EXPIRY_WRITERS} expiry writers in"
            f" parallel), each invocation at least its calls' client CPU ({cpu_ms:.2f} ms x"
            f" {LAMBDA_CPU_FACTOR:g}), each unfinished invocation continued at once through the"
            " continuation queue (SendMessage + 1 s pick-up); latency alone"
            f" {outcome.latency_seconds:.1f} s; {'finished' if outcome.finished else 'NOT finished'};"
            f" runs left of shortened checks {left}",
        ),
    ]


def rows() -> list[dict]:
    use_fake_aws()
    from moto import mock_aws

    from local.template import Template
    from tests.integration.api.stack import create_resources

    with mock_aws():
        create_resources(Template.load())
        history_row = _history_row()
    return [history_row, *_retention_rows()]


if __name__ == "__main__":
    from bench.table import render

    print(render(rows()))
