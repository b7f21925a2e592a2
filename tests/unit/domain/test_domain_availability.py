from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.availability import availability, merge_intervals, window_bounds

START = datetime(2024, 5, 1, tzinfo=UTC)
END = START + timedelta(hours=10)


def hours(n: float) -> datetime:
    return START + timedelta(hours=n)


def test_degraded_time_counts_as_up_and_unhealthy_as_down():
    # given 4 h healthy, 2 h degraded, 3 h unhealthy, 1 h healthy
    transitions = [(hours(4), "degraded"), (hours(6), "unhealthy"), (hours(9), "healthy")]

    # when availability is computed over the 10 hours
    result = availability(transitions, "healthy", [], START, END)

    # then degraded is up, unhealthy is down
    assert result == {
        "uptimeSeconds": 7 * 3600.0,
        "downtimeSeconds": 3 * 3600.0,
        "unknownSeconds": 0.0,
        "maintenanceSeconds": 0.0,
        "availability": 0.7,
    }


def test_maintenance_is_neither_up_nor_down_and_overlaps_are_merged():
    # given an outage from 2 h to 6 h covered by two overlapping maintenance windows 1 h-3 h and 2 h-5 h
    transitions = [(hours(2), "unhealthy"), (hours(6), "healthy")]
    maintenances = [(hours(1), hours(3)), (hours(2), hours(5))]

    # when availability is computed
    result = availability(transitions, "healthy", maintenances, START, END)

    # then maintenance counts 4 h once, and only the hour of outage outside it is down
    assert result["maintenanceSeconds"] == 4 * 3600.0
    assert result["downtimeSeconds"] == 1 * 3600.0
    assert result["uptimeSeconds"] == 5 * 3600.0
    assert result["availability"] == pytest.approx(5 / 6)


def test_everything_is_clipped_to_the_range():
    # given a transition and a maintenance that start before the range and one after it
    transitions = [(hours(-5), "unhealthy"), (hours(2), "healthy"), (hours(12), "unhealthy")]
    maintenances = [(hours(-3), hours(1)), (hours(9), hours(20))]

    # when availability is computed over [0 h, 10 h)
    result = availability(transitions, "healthy", maintenances, START, END)

    # then the status before start comes from the earlier transition and only in-range time counts
    assert result["maintenanceSeconds"] == 2 * 3600.0
    assert result["downtimeSeconds"] == 1 * 3600.0
    assert result["uptimeSeconds"] == 7 * 3600.0


def test_unknown_time_is_left_out_of_the_ratio():
    # given no data for 5 hours, then healthy
    result = availability([(hours(5), "healthy")], "unknown", [], START, END)

    # then the ratio is over known time only
    assert result["unknownSeconds"] == 5 * 3600.0
    assert result["availability"] == 1.0


def test_availability_is_none_without_known_time():
    assert availability([], "unknown", [], START, END)["availability"] is None
    assert availability([], "unhealthy", [(START, END)], START, END)["availability"] is None


def test_transitions_need_not_be_sorted_and_same_instant_ones_apply_in_order():
    transitions = [(hours(8), "healthy"), (hours(2), "degraded"), (hours(2), "unhealthy")]
    result = availability(transitions, "healthy", [], START, END)
    assert result["downtimeSeconds"] == 6 * 3600.0


def test_an_empty_range_has_no_time():
    result = availability([], "healthy", [], START, START)
    assert result["uptimeSeconds"] == 0.0
    assert result["availability"] is None


def test_end_before_start_is_refused():
    with pytest.raises(ValueError, match="end"):
        availability([], "healthy", [], END, START)


def test_merge_intervals_joins_touching_windows_and_drops_empty_ones():
    windows = [(hours(3), hours(4)), (hours(1), hours(2)), (hours(2), hours(3)), (hours(5), hours(5))]
    merged = merge_intervals(windows, START, END)
    assert merged == [(hours(1), hours(4))]


@pytest.mark.parametrize(
    ("window", "span"),
    [("24h", timedelta(hours=24)), ("7d", timedelta(days=7)), ("30d", timedelta(days=30)),
     ("90d", timedelta(days=90)), ("365d", timedelta(days=365))],
)
def test_window_bounds_end_now(window, span):
    now = datetime(2024, 5, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    assert window_bounds(window, now) == (now - span, now)


def test_window_bounds_refuse_unknown_windows_and_naive_now():
    with pytest.raises(ValueError, match="window"):
        window_bounds("1y", START)
    with pytest.raises(ValueError, match="time zone"):
        window_bounds("7d", datetime(2024, 5, 1))


offsets = st.integers(min_value=-3 * 3600, max_value=13 * 3600)
statuses = st.sampled_from(["healthy", "degraded", "unhealthy", "unknown"])


@given(
    transitions=st.lists(st.tuples(offsets, statuses), max_size=12),
    initial=statuses,
    maintenances=st.lists(st.tuples(offsets, st.integers(0, 5 * 3600)), max_size=4),
)
def test_the_four_durations_cover_the_range_and_the_ratio_is_a_fraction(transitions, initial, maintenances):
    # given any timeline and maintenance windows, in and around the range
    timeline = [(START + timedelta(seconds=s), status) for s, status in transitions]
    windows = [(START + timedelta(seconds=s), START + timedelta(seconds=s + n)) for s, n in maintenances]

    # when availability is computed
    result = availability(timeline, initial, windows, START, END)

    # then every second of the range is counted exactly once
    durations = ("uptimeSeconds", "downtimeSeconds", "unknownSeconds", "maintenanceSeconds")
    total = sum(result[name] for name in durations)
    assert total == pytest.approx((END - START).total_seconds())
    assert all(result[name] >= 0 for name in durations)
    assert result["availability"] is None or 0.0 <= result["availability"] <= 1.0
    assert (result["availability"] is None) == (result["uptimeSeconds"] + result["downtimeSeconds"] == 0)
