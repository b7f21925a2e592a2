"""History reads and the retention pass, on moto: the items a 30-day chart of 500 points reads, and
the retention pass over 10,000 assignments behind the latency-injected client on the simulated clock
(bench/latency.py), invocations of 900 s continuing from the checkpoint on the hourly schedule.

Run: `PYTHONPATH=src:. python -m bench.history_retention` from the repository root.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import describe, use_fake_aws
from bench.latency import LatencyInjected, SimulatedClock
from bench.table import row

NOW = datetime(2026, 12, 3, 10, 37, tzinfo=UTC)
ASSIGNMENTS = 10_000
CHANGED_RETENTION = 50  # assignments whose raw retention was shortened from 7 to 3 days
RUNS_PER_CHANGED = 84  # 7 days, one run every 2 hours
DELETED_SYSTEMS = 5
RUNS_PER_DELETED = 1_440  # 1 day, one run a minute
INVOCATION_SECONDS = 900
SCHEDULE_SECONDS = 3_600
WORKERS = 16
HISTORY_GOAL_ITEMS = 800
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

    created = "2030-01-01T00:00:00.000Z"
    repository.create_system(
        SystemItem(id="shop", name="Shop", created_at=created, updated_at=created, version=1), {"version": 1}
    )
    repository.create_configuration(
        {
            "id": "web",
            "name": "Web",
            "strategyId": "http",
            "paused": False,
            "intervalSeconds": 60,
            "version": 1,
        }
    )
    repository.put_assignment(
        "shop", "web", _settings(), expected_version=None, now=_stamp(NOW - timedelta(days=60)), now_epoch=0
    )
    hours = [NOW - timedelta(hours=h) for h in range(31 * 24)]
    hourly = merge_items(run_increments("healthy", 20 + n) for n in range(60))
    repository._batch_write(
        puts=[
            plain_key(keys.aggregate_key("hourly", "shop", "web", hour_key(h), "local"))
            | hourly
            | {"start": hour_key(h), "sourceId": "local"}
            for h in hours
        ]
    )
    repository.put_runs(_runs("shop", [NOW - timedelta(minutes=m) for m in range(180)]))
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


def _seed_retention(raw: Any) -> None:
    from shared.data import keys
    from shared.data.repository import Repository
    from shared.data.table import plain_key
    from shared.domain.records import assignment_record
    from tests.integration.api.stack import TABLE

    repository = Repository(raw, TABLE)
    configuration = {"id": "web", "name": "Web", "strategyId": "http", "paused": False, "intervalSeconds": 60}
    created = _stamp(NOW - timedelta(days=60))
    items = []
    for n in range(ASSIGNMENTS):
        system_id = f"sys-{n:05d}"
        shortened = n < CHANGED_RETENTION
        record = assignment_record(system_id, configuration, _settings(), None, created)
        if shortened:
            record["retention"] = _settings(raw_days=3)["retention"]
        key = keys.assignment_key(system_id, "web") | keys.type_index("ASSIGNMENT", f"{system_id}#web")
        items.append(plain_key(key) | record)
    repository._batch_write(puts=items)
    for n in range(CHANGED_RETENTION):
        moments = [NOW - timedelta(minutes=30 * k) for k in range(RUNS_PER_CHANGED)]
        repository.put_runs(_runs(f"sys-{n:05d}", moments))
    for n in range(DELETED_SYSTEMS):
        system_id = f"gone-{n:02d}"
        repository.put_runs(_runs(system_id, [NOW - timedelta(minutes=k) for k in range(RUNS_PER_DELETED)]))
        tombstone = {
            "systemId": system_id,
            "configurationIds": ["web"],
            "deletedAt": _stamp(NOW),
            "kind": "system",
        }
        repository._batch_write(
            puts=[plain_key(keys.system_tombstone_key(system_id, _stamp(NOW))) | tombstone]
        )


def _retention_rows() -> list[dict]:
    import boto3

    from shared.data.repository import Repository
    from shared.data.retention import RetentionStore
    from shared.data.sweeps import SweepCheckpoints
    from shared.services.context import Collaborators
    from shared.services.retention import apply_retention
    from tests.integration.api.stack import TABLE

    raw = boto3.client("dynamodb", region_name="us-east-1")
    _seed_retention(raw)
    clock = SimulatedClock(NOW)
    client = LatencyInjected(raw, clock)

    class Cache:
        def invalidate(self, key: str) -> bool:
            return True

    c = Collaborators(
        repository=Repository(client, TABLE), cache=Cache(), publisher=None, settings=None, clock=clock
    )
    first_invocation = None
    invocations = 0
    while True:
        invocations += 1
        started = clock.elapsed
        report = apply_retention(
            c,
            RetentionStore(client, TABLE),
            SweepCheckpoints(client, TABLE),
            time_left=clock.budget(INVOCATION_SECONDS),
            parallel_map=clock.parallel(WORKERS),
        )
        if first_invocation is None:
            first_invocation = report.assignments
        if report.finished or invocations > 48:
            break
        # the next hourly invocation continues from the checkpoint
        clock.elapsed = started + SCHEDULE_SECONDS
    hours = clock.elapsed / 3600
    work = (
        f"{ASSIGNMENTS} assignments ({CHANGED_RETENTION} with a shortened raw retention, {RUNS_PER_CHANGED}"
        f" runs each), {DELETED_SYSTEMS} deleted systems of {RUNS_PER_DELETED} runs; {invocations}"
        f" invocation(s) of {INVOCATION_SECONDS} s; {describe(client.calls)}"
    )
    return [
        row(
            "retention: assignments finished per invocation at 10k assignments",
            first_invocation,
            math.nan,
            "-",
            True,
            work,
        ),
        row(
            "retention: full pass (simulated h)",
            round(hours, 3),
            math.nan,
            f"<= {PASS_GOAL_HOURS:g} h",
            hours <= PASS_GOAL_HOURS and report.finished,
            "latency-injected moto, 16 expiry writers; steady state leaves raw runs to TTL (no deletes)",
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
    with mock_aws():
        create_resources(Template.load())
        return [history_row, *_retention_rows()]


if __name__ == "__main__":
    from bench.table import render

    print(render(rows()))
