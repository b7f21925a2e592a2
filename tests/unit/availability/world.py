"""A year of runs for a few checks through the real recording services on the in-memory store, with a
fake clock, and a brute-force availability computed from the raw runs alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from types import SimpleNamespace

from pydantic import TypeAdapter

from shared.cache.memory_backend import MemoryBackend
from shared.cache.scope import CachedScope
from shared.domain import health
from shared.domain.assignment_models import AssignmentPut, StateThresholds
from shared.domain.catalog_items import MaintenanceItem, SystemItem
from shared.domain.credential_items import SatelliteItem
from shared.domain.wire import format_timestamp, parse_timestamp
from shared.events import RecordingPublisher
from shared.retry import RetryPolicy
from shared.services.context import Collaborators
from shared.services.health_state import initial_state
from shared.services.recording import RunInput, record_run
from tests.fakes.memory_store import MemoryStore
from tests.fakes.seed import configuration_item

YEAR_START = datetime(2030, 1, 1, tzinfo=UTC)
INTERVAL = 14400
STALE = timedelta(seconds=3 * INTERVAL)
THRESHOLDS = {"mode": "consecutive", "degradedAfter": 1, "unhealthyAfter": 2, "recoverAfter": 1}
UP = {"healthy", "degraded"}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    c: Collaborators
    store: MemoryStore
    clock: Clock
    runs: list[dict] = field(default_factory=list)
    maintenances: list[tuple[datetime, datetime]] = field(default_factory=list)
    quorum: dict[str, str] = field(default_factory=dict)

    def record(
        self, configuration_id: str, source_id: str, status: str, at: datetime, latency_ms=20.0
    ) -> None:
        """A run recorded live: the clock reads a second after it ran."""
        self.clock.now = at + timedelta(seconds=1)
        run = RunInput(
            run_id=f"{configuration_id}-{source_id}-{at.timestamp():.0f}",
            system_id="shop",
            configuration_id=configuration_id,
            source_id=source_id,
            source_label=source_id,
            status=status,
            latency_ms=latency_ms,
            timestamp=format_timestamp(at),
        )
        record_run(self.c, run)
        self.runs.append(run.item().to_item())

    def add_maintenance(self, start: datetime, end: datetime) -> None:
        self.store.create_maintenance(
            MaintenanceItem(
                id=f"m{len(self.maintenances)}",
                system_id="shop",
                title="planned",
                starts_at=format_timestamp(start),
                ends_at=format_timestamp(end),
                suppress_notifications=False,
                created_at=format_timestamp(start),
            )
        )
        self.maintenances.append((start, end))


def new_world(checks: dict[str, dict]) -> World:
    """System "shop" with `checks` ({id: {"satelliteIds": [...], "quorum": mode}}), every one checked
    every INTERVAL seconds."""
    store = MemoryStore()
    seeded = format_timestamp(YEAR_START - timedelta(days=1))
    shop = SystemItem(id="shop", name="Shop", created_at=seeded, updated_at=seeded, version=1)
    store.create_system(shop, initial_state("shop", seeded))
    store.create_satellite(
        SatelliteItem(
            id="eu", name="EU", region="eu-west-1", created_at=seeded, token_salt="s", token_hash="h"
        )
    )
    for configuration_id, spec in checks.items():
        store.create_configuration(configuration_item(configuration_id, interval_seconds=INTERVAL))
        settings = AssignmentPut.model_validate(
            {
                "stateThresholds": THRESHOLDS,
                "satelliteIds": spec.get("satelliteIds", []),
                "quorum": {"mode": spec.get("quorum", "any")},
            }
        ).model_dump(mode="json", by_alias=True)
        store.put_assignment(
            "shop", configuration_id, settings, expected_version=None, now=seeded, now_epoch=0
        )
    clock = Clock(YEAR_START)
    cache = CachedScope(MemoryBackend(), "status", ttl_seconds=15)
    c = Collaborators(
        repository=store,
        cache=cache,
        publisher=RecordingPublisher(),
        settings=SimpleNamespace(cache_ttl_seconds=15, run_events=True),
        clock=clock,
        conflicts=RetryPolicy(sleep=lambda _: None),
    )
    return World(c, store, clock, quorum={k: v.get("quorum", "any") for k, v in checks.items()})


# --- brute force over the raw runs ------------------------------------------------------------


def brute_force_changes(runs: list[dict], quorum: dict[str, str], now: datetime) -> dict[str, list]:
    """Each check's (at, status) changes, replaying its raw runs in time order: the status at a run
    is the quorum over the slices whose newest run is at most STALE old (the run's own included);
    STALE after a check's newest run with no next run, it is unknown."""
    thresholds = TypeAdapter(StateThresholds).validate_python(THRESHOLDS)
    timelines: dict[str, list] = {}
    for configuration_id, mode in quorum.items():
        slices: dict[str, health.SliceState] = {}
        changes: list = []
        newest = None
        for run in sorted(
            (r for r in runs if r["configurationId"] == configuration_id), key=lambda r: r["timestamp"]
        ):
            at = parse_timestamp(run["timestamp"])
            if newest and at - newest > STALE:
                changes.append((newest + STALE, "unknown"))
            source = run["sourceId"]
            slices[source] = health.apply_run(
                slices.get(source),
                run_status=run["status"],
                at=run["timestamp"],
                thresholds=thresholds,
                source_id=source,
                source_label=source,
            )
            fresh = [
                s.status
                for s_id, s in slices.items()
                if s_id == source or at - parse_timestamp(s.last_run_at) <= STALE
            ]
            changes.append((at, health.quorum_status(fresh, mode)))
            newest = at if newest is None else max(newest, at)
        if newest and newest + STALE < now:
            changes.append((newest + STALE, "unknown"))
        changes.append((now, "unknown"))
        timelines[configuration_id] = changes
    return timelines


def _status_at(changes: list, moment: datetime, strictly_before: bool = False) -> str:
    status = "unknown"
    for at, new_status in changes:
        if at < moment or (at == moment and not strictly_before):
            status = new_status
    return status


def brute_force_seconds(
    changes: dict[str, list], maintenances: list, start: datetime, end: datetime, only: str | None = None
) -> dict:
    """Seconds per class, incidents and the longest outage over [start, end), instant by instant
    between consecutive change points (the system: the worst known check status)."""
    selected = {k: v for k, v in changes.items() if only in (None, k)}
    edges = (
        {start, end} | {at for v in selected.values() for at, _ in v} | {t for m in maintenances for t in m}
    )
    points = sorted(t for t in edges if start <= t <= end)

    def kind(moment: datetime, before: bool = False) -> str:
        if any(a <= moment < b if not before else a < moment <= b for a, b in maintenances):
            return "maintenance"
        statuses = [_status_at(v, moment, before) for v in selected.values()]
        known = [s for s in statuses if s != "unknown"]
        if not known:
            return "unknown"
        worst = max(known, key=health.severity)
        return "up" if worst in UP else "down"

    totals = {"up": 0.0, "down": 0.0, "unknown": 0.0, "maintenance": 0.0}
    previous = kind(start, before=True)
    incidents, running, longest = 0, 0.0, 0.0
    for a, b in pairwise(points):
        current = kind(a)
        seconds = (b - a).total_seconds()
        totals[current] += seconds
        if current == "down":
            incidents += previous != "down"
            running += seconds
            longest = max(longest, running)
        else:
            running = 0.0
        previous = current
    return totals | {"incidents": incidents, "longest": longest}
