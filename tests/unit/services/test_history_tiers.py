"""A year of runs through the real `record_run` (in-memory store, fake clock), with the daily
rollup of the retention pass run every day, against a brute-force count over the raw runs: every
chart bucket lies in [from, to), counts each run once from the finest tier retention kept, and its
quantiles are within the sketch's 1%."""

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.assignment_models import AssignmentPut
from shared.domain.credential_items import SatelliteItem
from shared.domain.wire import format_timestamp, parse_timestamp
from shared.events import RecordingPublisher
from shared.retry import RetryPolicy
from shared.services.context import Collaborators
from shared.services.health_state import initial_state
from shared.services.history import history
from shared.services.recording import RunInput, record_run
from shared.services.rollup import roll_up
from tests.fakes.memory_store import MemoryStore
from tests.fakes.seed import configuration_item, seed_shop

NOW = datetime(2031, 1, 1, 10, 20, tzinfo=UTC)
YEAR_AGO = NOW - timedelta(days=365)
OUTAGE = (YEAR_AGO + timedelta(days=100), YEAR_AGO + timedelta(days=101, hours=6))
MAINTENANCE = (YEAR_AGO + timedelta(days=150), YEAR_AGO + timedelta(days=150, hours=4))
SATELLITE_OFFLINE = (YEAR_AGO + timedelta(days=200), YEAR_AGO + timedelta(days=203))


@dataclass(frozen=True)
class Sample:
    configuration_id: str
    source_id: str
    timestamp: datetime
    status: str
    latency_ms: float | None
    delivered_at: datetime


class Clock:
    def __init__(self) -> None:
        self.now = YEAR_AGO

    def __call__(self) -> datetime:
        return self.now


class Cache:
    max_staleness_seconds = 1.0

    def invalidate(self, key: str) -> bool:
        return True

    def invalidate_family(self) -> bool:
        return True


def _status(rng: random.Random, moment: datetime) -> str:
    if OUTAGE[0] <= moment < OUTAGE[1]:
        return "unhealthy"
    if MAINTENANCE[0] <= moment < MAINTENANCE[1]:
        return "degraded"
    return rng.choices(["healthy", "degraded", "unhealthy"], [0.93, 0.04, 0.03])[0]


def _samples() -> list[Sample]:
    """Every 5 hours (jittered) for a year, every 10 minutes over the last 20 hours; the satellite
    is offline for three days and then delivers what it buffered all at once."""
    rng = random.Random(15)
    found = []
    for configuration_id, sources in (("web", ("local", "sat1")), ("api", ("local",))):
        for source_id in sources:
            moments = [YEAR_AGO + timedelta(hours=5 * k, minutes=rng.randint(0, 290)) for k in range(1752)]
            moments += [NOW - timedelta(hours=20) + timedelta(minutes=10 * k, seconds=7) for k in range(120)]
            for moment in moments:
                if moment >= NOW:
                    continue
                status = _status(rng, moment)
                latency = None if status == "unhealthy" and rng.random() < 0.5 else rng.lognormvariate(4, 0.7)
                offline = source_id == "sat1" and SATELLITE_OFFLINE[0] <= moment < SATELLITE_OFFLINE[1]
                delivered = SATELLITE_OFFLINE[1] if offline else moment
                found.append(Sample(configuration_id, source_id, moment, status, latency, delivered))
    return sorted(found, key=lambda s: (s.delivered_at, s.timestamp))


def _assign(store: MemoryStore, configuration_id: str, **settings) -> None:
    body = AssignmentPut.model_validate(settings).model_dump(mode="json", by_alias=True)
    created = format_timestamp(YEAR_AGO - timedelta(days=1))
    store.put_assignment("shop", configuration_id, body, expected_version=None, now=created, now_epoch=0)


@pytest.fixture(scope="module")
def year():
    store = MemoryStore()
    seed_shop(store, initial_state("shop", format_timestamp(YEAR_AGO)))
    store.create_configuration(configuration_item("api"))
    store.create_satellite(
        SatelliteItem(
            id="sat1",
            name="Sat",
            region="eu",
            created_at=format_timestamp(YEAR_AGO),
            token_salt="s",
            token_hash="h",
        )
    )
    _assign(store, "web", satelliteIds=["sat1"])
    _assign(store, "api", retention={"rawDays": 3, "hourlyDays": 7, "dailyDays": 365})
    clock = Clock()
    c = Collaborators(
        repository=store,
        cache=Cache(),
        publisher=RecordingPublisher(),
        settings=None,
        clock=clock,
        conflicts=RetryPolicy(sleep=lambda _: None),
    )
    samples = _samples()
    rolled_on = None
    for n, sample in enumerate(samples):
        clock.now = sample.delivered_at
        if clock.now.date() != rolled_on:
            # the daily retention pass rolls settled days of hourly aggregates into daily ones
            rolled_on = clock.now.date()
            _roll_up(c, store)
        record_run(
            c,
            RunInput(
                run_id=f"run-{n}",
                system_id="shop",
                configuration_id=sample.configuration_id,
                source_id=sample.source_id,
                source_label=sample.source_id,
                status=sample.status,
                latency_ms=sample.latency_ms,
                timestamp=format_timestamp(sample.timestamp),
            ),
        )
    clock.now = NOW
    _roll_up(c, store)
    store.expire(int(NOW.timestamp()))
    return c, samples


def _roll_up(c, store: MemoryStore) -> None:
    for system_id, configuration_id in list(store.assignments):
        roll_up(c, store.get_assignment(system_id, configuration_id))


def chart(c, configuration_id: str, start: datetime, end: datetime, points: int, source: str | None = None):
    view = history(
        c,
        "shop",
        configuration_id,
        start=format_timestamp(start),
        end=format_timestamp(end),
        points=points,
        source=source,
    )
    return view.model_dump(mode="json", by_alias=True)


def truth(samples, configuration_id: str, start: datetime, end: datetime, source: str | None = None):
    return [
        s
        for s in samples
        if s.configuration_id == configuration_id
        and start <= s.timestamp < end
        and source in (None, s.source_id)
    ]


def assert_bucket_is_exact(bucket: dict, expected: list[Sample]) -> None:
    assert bucket["runCount"] == len(expected)
    for status in ("healthy", "degraded", "unhealthy"):
        assert bucket[f"{status}Count"] == sum(s.status == status for s in expected)
    latencies = sorted(s.latency_ms for s in expected if s.latency_ms is not None)
    if not expected:
        assert bucket["successRate"] is None
    else:
        assert bucket["successRate"] == pytest.approx(bucket["healthyCount"] / len(expected))
    if not latencies:
        assert bucket["latencyMs"]["p50"] is None
        return
    assert bucket["latencyMs"]["avg"] == pytest.approx(sum(latencies) / len(latencies))
    for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
        exact = latencies[math.floor(q * (len(latencies) - 1))]
        assert bucket["latencyMs"][name] == pytest.approx(exact, rel=0.0101)


def assert_exact_chart(body: dict, samples, configuration_id: str, source: str | None = None) -> None:
    for bucket in body["buckets"]:
        start, end = parse_timestamp(bucket["start"]), parse_timestamp(bucket["end"])
        assert_bucket_is_exact(bucket, truth(samples, configuration_id, start, end, source))


def test_a_week_two_hundred_days_ago_is_read_from_the_daily_tier(year):
    # given: hourly and raw items of that week are long gone
    c, samples = year
    start = datetime(2030, 6, 15, tzinfo=UTC)
    # when
    body = chart(c, "web", start, start + timedelta(days=7), points=7)
    # then: one bucket per UTC day, each equal to the runs of that day
    assert len(body["buckets"]) == 7
    assert sum(b["runCount"] for b in body["buckets"]) == len(
        truth(samples, "web", start, start + timedelta(days=7))
    )
    assert sum(b["runCount"] for b in body["buckets"]) > 0
    assert_exact_chart(body, samples, "web")


def test_a_range_past_the_hourly_retention_counts_no_run_outside_it(year):
    # given: a week 200 days ago starting and ending mid-day, only daily items left
    c, samples = year
    start = datetime(2030, 6, 15, 13, 37, tzinfo=UTC)
    end = start + timedelta(days=7)
    # when
    body = chart(c, "web", start, end, points=500)
    # then: the buckets tile [from, to) exactly and hold the whole days inside it, nothing more
    assert body["buckets"][0]["start"] == format_timestamp(start)
    assert body["buckets"][-1]["end"] == format_timestamp(end)
    whole_days = truth(samples, "web", datetime(2030, 6, 16, tzinfo=UTC), datetime(2030, 6, 22, tzinfo=UTC))
    assert sum(b["runCount"] for b in body["buckets"]) == len(whole_days)


def test_the_last_30_days_of_a_check_with_7_days_of_hourly_items_count_every_run(year):
    # given: "api" keeps hourly items for 7 days only
    c, samples = year
    start = datetime(2030, 12, 2, tzinfo=UTC)
    # when
    body = chart(c, "api", start, NOW, points=30)
    # then: daily items serve the older days, every run is counted once
    assert sum(b["runCount"] for b in body["buckets"]) == len(truth(samples, "api", start, NOW))
    assert_exact_chart(body, samples, "api")


def test_hourly_buckets_with_edges_off_the_hour_are_exact(year):
    # given
    c, samples = year
    start, end = NOW - timedelta(days=6, minutes=17), NOW - timedelta(minutes=3)
    # when
    body = chart(c, "web", start, end, points=100)
    # then: 2-hour buckets, edge parts from raw runs, each bucket equal to brute force
    assert body["bucketSeconds"] == 7200
    assert body["buckets"][0]["start"] == format_timestamp(start)
    assert body["buckets"][-1]["end"] == format_timestamp(end)
    assert_exact_chart(body, samples, "web")


def test_sub_hour_buckets_come_from_raw_runs(year):
    # given: the 17:55 to 18:10 with 500 points
    c, samples = year
    start = datetime(2030, 12, 31, 17, 55, tzinfo=UTC)
    # when
    body = chart(c, "web", start, start + timedelta(minutes=15), points=500)
    # then: one-minute buckets inside the range, none reaching past it
    assert body["bucketSeconds"] == 60
    assert len(body["buckets"]) == 15
    assert sum(b["runCount"] for b in body["buckets"]) == len(
        truth(samples, "web", start, start + timedelta(minutes=15))
    )
    assert_exact_chart(body, samples, "web")


def test_ten_minute_buckets_per_source(year):
    # given
    c, samples = year
    start = NOW - timedelta(hours=6, minutes=5)
    # when
    body = chart(c, "web", start, NOW, points=40, source="sat1")
    # then
    assert body["bucketSeconds"] == 600
    assert_exact_chart(body, samples, "web", source="sat1")


def test_thirty_days_and_one_second_keep_the_bucket_width(year):
    # given
    c, _ = year
    start = NOW - timedelta(days=30)
    # when
    exact = chart(c, "web", start, NOW, points=500)
    longer = chart(c, "web", start - timedelta(seconds=1), NOW, points=500)
    # then
    assert exact["bucketSeconds"] == longer["bucketSeconds"] == 7200


def test_the_hourly_daily_boundary_counts_each_run_once(year):
    # given: 40 days in 2-hour buckets, hourly items kept for the last 30 only
    c, samples = year
    start = datetime(2030, 11, 22, tzinfo=UTC)
    # when
    body = chart(c, "web", start, NOW, points=500)
    # then: each UTC day's buckets add up to that day's runs
    per_day: dict[str, int] = {}
    for bucket in body["buckets"]:
        per_day[bucket["start"][:10]] = per_day.get(bucket["start"][:10], 0) + bucket["runCount"]
    for day, count in per_day.items():
        day_start = datetime.fromisoformat(day).replace(tzinfo=UTC)
        assert count == len(truth(samples, "web", day_start, min(day_start + timedelta(days=1), NOW))), day


def test_ninety_days_after_the_hourly_items_expired(year):
    # given: TTL removed the hourly items past their retention (the fixture expired them)
    c, samples = year
    start = datetime(2030, 10, 3, tzinfo=UTC)
    # when
    body = chart(c, "web", start, NOW, points=100)
    # then
    assert body["bucketSeconds"] == 86400
    assert sum(b["runCount"] for b in body["buckets"]) == len(truth(samples, "web", start, NOW))
    assert_exact_chart(body, samples, "web")


def test_the_offline_satellites_late_results_are_in_their_own_days(year):
    # given: results delivered three days late
    c, samples = year
    start = SATELLITE_OFFLINE[0] - timedelta(days=1)
    start = start.replace(hour=0, minute=0)
    # when
    body = chart(c, "web", start, start + timedelta(days=5), points=5, source="sat1")
    # then
    assert_exact_chart(body, samples, "web", source="sat1")
    assert sum(b["runCount"] for b in body["buckets"]) > 0


def test_an_empty_bucket_says_so(year):
    # given: a range before the first run
    c, _ = year
    start = YEAR_AGO.replace(minute=0) - timedelta(hours=12)
    # when
    body = chart(c, "web", start, start + timedelta(hours=6), points=6)
    # then
    assert [b["runCount"] for b in body["buckets"]] == [0] * 6
    assert all(b["latencyMs"]["p95"] is None and b["successRate"] is None for b in body["buckets"])
