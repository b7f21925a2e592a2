"""The retention bench's figures are only worth something if the in-memory store, counted per port
call (bench/retention_sim.py), makes the DynamoDB calls the repository makes on moto: the same small
pass, cut into several invocations, on both, counted by API."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from bench.latency import TYPICAL_LATENCY_MS, LatencyInjected, SimulatedClock
from bench.retention_sim import Cache, PortLatency, run_pass
from shared.data.repository import Repository
from shared.data.sweeps import SweepCheckpoints
from shared.domain.catalog_items import SystemItem
from shared.domain.history_items import RunItem
from shared.domain.records import expiry_epoch
from shared.domain.system_state import initial_state
from shared.domain.wire import format_timestamp
from shared.services import retention
from shared.services.context import Collaborators
from tests.fakes.memory_store import MemoryStore
from tests.fakes.memory_sweeps import MemorySweepCheckpoints
from tests.fakes.seed import configuration_item
from tests.integration.store_contract.conftest import SETTINGS
from tests.integration.tables import healthcheck_table_definition

TABLE = "retention-harness"
NOW = datetime(2030, 3, 1, 4, 0, tzinfo=UTC)
# 30 s are kept in reserve (SAFETY_SECONDS): each invocation gets ~0.25 s of calls.
TIMEOUT_SECONDS = retention.SAFETY_SECONDS + 0.25


def seed(store) -> None:
    """Six checks: one shortened, one lengthened, two steady, one unassigned, one system deleted."""
    created = format_timestamp(NOW - timedelta(days=30))
    for configuration_id in ("web", "api"):
        store.create_configuration(configuration_item(configuration_id, configuration_id))
    pairs = [(f"sys-{n}", "web") for n in range(5)] + [("sys-3", "api")]
    for system_id in dict.fromkeys(s for s, _ in pairs):
        item = SystemItem(id=system_id, name=system_id, created_at=created, updated_at=created, version=1)
        store.create_system(item, initial_state(system_id, created))
    for system_id, configuration_id in pairs:
        store.put_assignment(
            system_id, configuration_id, SETTINGS, expected_version=None, now=created, now_epoch=0
        )
        moments = [NOW - timedelta(hours=6 * k) for k in range(28)]
        store.put_runs(
            [
                RunItem.model_validate(
                    {
                        "runId": f"{system_id}-{configuration_id}-{k}",
                        "systemId": system_id,
                        "configurationId": configuration_id,
                        "sourceId": "local",
                        "status": "healthy",
                        "timestamp": format_timestamp(m),
                        "expiresAt": expiry_epoch(m, 7),
                    }
                )
                for k, m in enumerate(moments)
            ]
        )
    for system_id, days in (("sys-0", 3), ("sys-1", 14)):
        changed = SETTINGS | {"retention": SETTINGS["retention"] | {"rawDays": days}}
        store.put_assignment(system_id, "web", changed, expected_version=1, now=created, now_epoch=0)
    store.delete_assignment("sys-3", "api", deleted_at=format_timestamp(NOW))
    store.delete_system("sys-4", deleted_at=format_timestamp(NOW))


@pytest.fixture
def moto_client():
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(TableName=TABLE, **healthcheck_table_definition())
        yield client


def run_on(repository, store, checkpoints, clock, calls):
    c = Collaborators(repository=repository, cache=Cache(), publisher=None, settings=None, clock=clock)
    return run_pass(c, store, checkpoints, clock, calls, timeout_seconds=TIMEOUT_SECONDS)


def remaining_keys(store) -> list[list[str]]:
    return [
        [i["sk"] for i in store.key_page(store.history_partition("raw", s, c), limit=100).items]
        for s, c in [(f"sys-{n}", "web") for n in range(5)] + [("sys-3", "api")]
    ]


def test_the_memory_store_makes_the_calls_moto_makes_for_the_same_pass(moto_client, monkeypatch):
    # given the same history on moto and in memory, pages small enough that the pass spans invocations
    monkeypatch.setattr(retention, "ASSIGNMENTS_PER_PAGE", 2)
    monkeypatch.setattr(retention, "KEYS_PER_PAGE", 4)
    seed(Repository(moto_client, TABLE))
    memory = MemoryStore()
    seed(memory)
    # when the pass runs on each behind the latency table
    moto_clock, memory_clock = SimulatedClock(NOW), SimulatedClock(NOW)
    counted = LatencyInjected(moto_client, moto_clock)
    on_moto = run_on(
        Repository(counted, TABLE),
        Repository(counted, TABLE),
        SweepCheckpoints(counted, TABLE),
        moto_clock,
        counted.calls,
    )
    memory_calls: Counter[str] = Counter()
    timed = PortLatency(memory, memory_clock, memory_calls)
    on_memory = run_on(
        timed,
        timed,
        PortLatency(MemorySweepCheckpoints(), memory_clock, memory_calls),
        memory_clock,
        memory_calls,
    )
    # then the same calls by API, the same invocations and simulated time, the same keys left
    assert on_moto.finished and on_memory.finished
    assert on_moto.invocations >= 3
    assert counted.calls == memory_calls
    assert set(memory_calls) <= set(TYPICAL_LATENCY_MS)
    assert (on_moto.invocations, on_moto.seconds) == (on_memory.invocations, pytest.approx(on_memory.seconds))
    left = remaining_keys(memory)
    assert remaining_keys(Repository(moto_client, TABLE)) == left
    # shortened to 3 days: 12 runs left; the deleted ones keep only the run stored at the deletion itself
    assert [len(keys) for keys in left] == [12, 28, 28, 28, 1, 1]
