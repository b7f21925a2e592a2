"""A satellite batch recorded from the request's one read (its reported checks only) stores exactly
what the same batch recorded from the whole partition stores; a run that changes the view is never
evaluated on the reported checks alone."""

from datetime import timedelta

import pytest

from shared.domain.snapshots import CheckReads
from shared.domain.wire import format_timestamp
from shared.services import bulk_recording, outbox
from shared.services.bulk_recording import record_system_runs
from shared.services.recording import RunInput
from shared.services.satellite_results import IngestReport
from tests.unit.availability.world import INTERVAL, YEAR_START, new_world

STEP = timedelta(seconds=INTERVAL)
CHECKS = {"edge": {"satelliteIds": ["eu"]}, "api": {"satelliteIds": ["eu"]}}


def satellite_run(check: str, at, status: str) -> RunInput:
    return RunInput(
        run_id=f"sat:eu:{check}-{at.timestamp():.0f}",
        system_id="shop",
        configuration_id=check,
        source_id="eu",
        source_label="EU",
        status=status,
        latency_ms=30.0,
        timestamp=format_timestamp(at),
    )


def warmed_world():
    world = new_world(CHECKS)
    for check in CHECKS:
        world.store.assignments[("shop", check)]["includeLocal"] = False
        for n in range(3):
            world.record(check, "eu", "healthy", YEAR_START + n * STEP)
    return world


def stored(world) -> tuple:
    store = world.store
    return store.runs, store.aggregates, store.check_states, store.states, store.transitions


def watch_partitions(monkeypatch, world) -> list[str]:
    """The systems whose whole partition is read from now on."""
    partitions: list[str] = []
    real = world.store.system_snapshot
    monkeypatch.setattr(world.store, "system_snapshot", lambda s: partitions.append(s) or real(s))
    return partitions


def deliver(world, runs: list[RunInput], *, whole_partition: bool) -> None:
    world.clock.now = YEAR_START + 10 * STEP
    repository = world.c.repository
    reads = repository.check_reads([("shop", r.configuration_id) for r in runs], for_recording=True)
    if whole_partition:  # without the system's item, recording reads the partition
        reads = CheckReads(states=reads.states)
    delivery = record_system_runs(
        world.c, repository.get_satellite("eu"), "shop", runs, IngestReport(), reads=reads
    )
    outbox.deliver_all(world.c, [delivery])


@pytest.mark.parametrize(("status", "partitions"), [("healthy", []), ("unhealthy", ["shop"])])
def test_the_reported_checks_and_the_whole_partition_store_the_same_items(monkeypatch, status, partitions):
    # given: two identical worlds and the same batch
    runs = [satellite_run(c, YEAR_START + (5 + n) * STEP, status) for n in range(3) for c in CHECKS]
    lean, whole = warmed_world(), warmed_world()
    read = watch_partitions(monkeypatch, lean)
    # when
    deliver(lean, runs, whole_partition=False)
    deliver(whole, runs, whole_partition=True)
    # then: the partition is read only when a run changes the view, and the same items are stored
    assert read == partitions
    assert stored(lean) == stored(whole)
    assert len(lean.store.runs) == 12


def test_a_view_change_missed_up_front_is_evaluated_on_the_whole_partition(monkeypatch):
    # given: the check up front says no run changes the view, but one does
    runs = [satellite_run("edge", YEAR_START + 5 * STEP, "unhealthy")]
    lean, whole = warmed_world(), warmed_world()
    monkeypatch.setattr(bulk_recording, "_changes_a_view", lambda *_: False)
    partitions = watch_partitions(monkeypatch, lean)
    # when
    deliver(lean, runs, whole_partition=False)
    deliver(whole, runs, whole_partition=True)
    # then
    assert partitions == ["shop"]
    assert stored(lean) == stored(whole)
