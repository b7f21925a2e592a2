"""A year of three checks (outages, a maintenance window, an executor gap, an offline satellite, two
sources under an "all" quorum) recorded through the real services with a fake clock; availability and
the SLA report are compared with a brute-force computation over the raw runs."""

from datetime import datetime, timedelta

import pytest

from shared.services import availability, sla
from shared.services.availability import range_stats
from tests.unit.availability.world import (
    INTERVAL,
    YEAR_START,
    World,
    brute_force_changes,
    brute_force_seconds,
    new_world,
)

DAY = timedelta(days=1)
YEAR_END = YEAR_START + 365 * DAY
NOW = YEAR_END + timedelta(hours=6)


def day(n: int, hours: float = 0) -> datetime:
    return YEAR_START + n * DAY + timedelta(hours=hours)


def within(moment: datetime, *ranges: tuple[datetime, datetime]) -> bool:
    return any(a <= moment < b for a, b in ranges)


def web_status(at: datetime) -> str:
    if within(at, (day(40, 8), day(40, 20)), (day(100, 2), day(100, 12)), (day(364, 20), day(365))):
        return "unhealthy"
    if within(at, (day(200, 4), day(200, 6))):
        return "degraded"
    if within(at, (day(300), day(301))):
        return "unhealthy" if int(at.timestamp() // INTERVAL) % 3 == 0 else "healthy"
    return "healthy"


def build_year() -> World:
    world = new_world({"web": {}, "api": {"satelliteIds": ["eu"], "quorum": "all"}, "db": {}})
    world.add_maintenance(day(100), day(100, 6))
    moments = []
    for step in range(365 * 24 * 3600 // INTERVAL):
        base = YEAR_START + timedelta(seconds=step * INTERVAL)
        moments += [
            (base, "web", "local", web_status(base)),
            (
                base + timedelta(seconds=600),
                "api",
                "local",
                "unhealthy" if within(base, (day(150), day(150, 10))) else "healthy",
            ),
        ]
        if not within(base, (day(180), day(183))):
            failing = within(base, (day(150), day(152)), (day(250), day(251)))
            moments.append(
                (base + timedelta(seconds=900), "api", "eu", "unhealthy" if failing else "healthy")
            )
        if not within(base, (day(60), day(63))):
            moments.append((base + timedelta(seconds=1200), "db", "local", "healthy"))
    for at, configuration_id, source_id, status in sorted(moments):
        world.record(configuration_id, source_id, status, at)
    world.clock.now = NOW
    return world


@pytest.fixture(scope="module")
def year() -> World:
    return build_year()


RANGES = [
    (YEAR_START, YEAR_END),
    (day(30, 5.5), day(60, 7.25)),
    (day(100, 1), day(100, 13)),
    (day(59), day(64)),
    (day(299, 23), day(301, 1)),
    (day(340, 3), NOW + timedelta(hours=2)),
]


@pytest.mark.parametrize(("start", "end"), RANGES)
def test_availability_matches_the_brute_force_to_the_second(year, start, end):
    # given
    truth = brute_force_changes(year.runs, year.quorum, NOW)
    # when
    stats = range_stats(year.c, year.store.system_snapshot("shop"), start, end)
    again = range_stats(year.c, year.store.system_snapshot("shop"), start, end)
    # then
    for name, got in [("system", stats.system), *stats.checks.items()]:
        expected = brute_force_seconds(
            truth, year.maintenances, start, end, None if name == "system" else name
        )
        assert got.up == pytest.approx(expected["up"], abs=1e-3), name
        assert got.down == pytest.approx(expected["down"], abs=1e-3), name
        assert got.unknown == pytest.approx(expected["unknown"], abs=1e-3), name
        assert got.maintenance == pytest.approx(expected["maintenance"], abs=1e-3), name
        assert got.incidents == expected["incidents"], name
        assert got.longest_down == pytest.approx(expected["longest"], abs=1e-3), name
    assert again == stats


def test_a_gap_with_no_runs_is_unknown_not_up(year):
    # when: days 59-63, the db check had no runs from day 60 to day 63
    stats = range_stats(year.c, year.store.system_snapshot("shop"), day(59), day(64))
    # then: unknown from three intervals after its last run until its next one
    gap = (
        day(63, 1200 / 3600)
        - (day(60) - timedelta(seconds=INTERVAL - 1200))
        - 3 * timedelta(seconds=INTERVAL)
    )
    assert stats.checks["db"].unknown == gap.total_seconds()
    assert stats.checks["db"].up == 5 * 86400 - gap.total_seconds()


def test_the_quorum_applies_per_check(year):
    # when: on day 250 only the satellite failed, under an "all" quorum
    stats = range_stats(year.c, year.store.system_snapshot("shop"), day(250), day(251))
    # then
    assert stats.checks["api"].availability == 1.0
    assert stats.checks["api"].down == 0


def test_maintenance_time_is_set_aside_and_reported(year):
    # when
    stats = range_stats(year.c, year.store.system_snapshot("shop"), day(100), day(101))
    # then: the outage from 02:00 to 12:00 counts only after the window (06:00)
    assert stats.system.maintenance == 6 * 3600
    assert stats.checks["web"].down == pytest.approx(6 * 3600, abs=INTERVAL)
    assert stats.checks["web"].incidents == 1


def test_a_year_is_read_from_daily_summaries_in_a_bounded_number_of_calls(year):
    # given: a first read stores the summaries of the settled days
    range_stats(year.c, year.store.system_snapshot("shop"), YEAR_START, YEAR_END)
    calls = CallCounter(year.store)
    year.c.repository = calls
    try:
        # when
        range_stats(year.c, year.store.system_snapshot("shop"), day(0, 7), day(365, 3))
    finally:
        year.c.repository = year.store
    # then: one batch of summaries, and per check two queries for each of the two edge pieces
    assert calls.counts == {
        "get_availability_days": 1,
        "last_check_transition_before": 2 * 3,
        "list_check_transitions": 2 * 3,
    }
    assert calls.items <= 400


def test_the_availability_answer_is_cached_until_a_check_transition(year):
    # given
    first = availability.availability(year.c, "shop", start=None, end=None, window="30d")
    calls = CallCounter(year.store)
    year.c.repository = calls
    try:
        # when
        cached = availability.availability(year.c, "shop", start=None, end=None, window="30d")
        hits = dict(calls.counts)
        year.c.repository = year.store
        year.record("web", "local", "unhealthy", NOW - timedelta(minutes=30))
        year.record("web", "local", "unhealthy", NOW - timedelta(minutes=20))
        year.clock.now = NOW
        after = availability.availability(year.c, "shop", start=None, end=None, window="30d")
    finally:
        year.c.repository = year.store
    # then
    assert cached == first
    assert hits == {}
    assert after.downtime_seconds > first.downtime_seconds


def test_the_sla_report_of_a_month(year):
    # when
    report = sla.sla_report(year.c, "shop", month="2030-02", start=None, end=None)
    # then: day 40 (February 10) lost the web check for hours
    truth = brute_force_changes(year.runs, year.quorum, NOW)
    expected = brute_force_seconds(truth, year.maintenances, day(31), day(59), "web")
    web = next(row for row in report.checks if row.configuration_id == "web")
    assert web.incidents == expected["incidents"] == 1
    assert web.longest_outage_minutes == pytest.approx(expected["longest"] / 60, abs=1e-3)
    assert web.downtime_minutes == pytest.approx(expected["down"] / 60, abs=1e-3)
    assert web.p95_latency_ms == pytest.approx(20, rel=0.01)
    assert report.system.downtime_minutes >= web.downtime_minutes
    lines = sla.as_csv(report).splitlines()
    assert lines[0].startswith("configurationId,configurationName,availability")
    assert len(lines) == 1 + 1 + 3


class CallCounter:
    """Counts the store calls (and items returned) of the availability reader."""

    def __init__(self, store) -> None:
        self._store = store
        self.counts: dict[str, int] = {}
        self.items = 0

    def __getattr__(self, name):
        target = getattr(self._store, name)
        if not callable(target):
            return target

        def counted(*args, **kwargs):
            self.counts[name] = self.counts.get(name, 0) + 1
            answer = target(*args, **kwargs)
            if isinstance(answer, list | dict):
                self.items += len(answer)
            elif answer is not None:
                self.items += 1
            return answer

        return counted
