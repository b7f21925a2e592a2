import math
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.aggregates import (
    ZERO_BIN,
    bucket_key,
    day_key,
    day_start,
    hour_key,
    hour_start,
    latency_bin,
    latency_bins,
    merge_items,
    parse_bucket_key,
    run_increments,
    sketch_from_bins,
    summarize,
)
from shared.domain.health_views import BucketView

ACCURACY = 0.01
# floating point of the log mapping on top of the 1% guarantee
TOLERANCE = ACCURACY + 1e-9
DAY = datetime(2024, 5, 1, tzinfo=UTC)

latencies = st.floats(min_value=0.01, max_value=600_000, allow_nan=False, allow_infinity=False)
statuses = st.sampled_from(["healthy", "degraded", "unhealthy"])
runs = st.lists(st.tuples(statuses, latencies), max_size=40)


def item_of(runs_: list[tuple[str, float | None]]) -> dict:
    return merge_items(run_increments(status, latency) for status, latency in runs_)


def exact_quantile(values: list[float], q: float) -> float:
    """The order statistic DDSketch estimates: index floor(q * (n - 1)) of the sorted values."""
    ordered = sorted(values)
    return ordered[math.floor(q * (len(ordered) - 1))]


def within_accuracy(estimate: float, exact: float) -> bool:
    return abs(estimate - exact) <= TOLERANCE * abs(exact)


def counters(item: dict) -> dict:
    """The item without the float sum, which is only equal up to rounding."""
    return {name: value for name, value in item.items() if name != "latencySumMs"}


# --- UTC buckets -----------------------------------------------------------------------------


def test_buckets_are_utc_whatever_the_input_time_zone():
    # given a moment in UTC+05:30, early on 2 May local time (still 1 May in UTC)
    moment = datetime(2024, 5, 2, 3, 45, 12, tzinfo=timezone(timedelta(hours=5, minutes=30)))

    # when its buckets are computed
    # then they are the UTC hour and UTC day
    assert hour_start(moment) == datetime(2024, 5, 1, 22, 0, tzinfo=UTC)
    assert day_start(moment) == datetime(2024, 5, 1, tzinfo=UTC)
    assert hour_key(moment) == "2024-05-01T22:00:00Z"
    assert day_key(moment) == "2024-05-01T00:00:00Z"
    assert hour_start(moment).tzinfo is UTC


def test_a_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="naive"):
        hour_start(datetime(2024, 5, 1, 12))


@given(
    moment=st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(2200, 1, 1),
        timezones=st.just(timezone(timedelta(hours=-7))),
    )
)
def test_bucket_keys_parse_back_to_the_bucket_start(moment):
    assert parse_bucket_key(bucket_key(hour_start(moment))) == hour_start(moment)
    assert parse_bucket_key(day_key(moment)) == day_start(moment)


# --- increments and bins ---------------------------------------------------------------------


def test_one_run_increments_its_counters_and_one_bin():
    # when a degraded run of 120 ms is turned into increments
    increments = run_increments("degraded", 120.0)

    # then it counts once, by status, with its latency in exactly one bin
    assert increments == {
        "runCount": 1,
        "degradedCount": 1,
        "latencyCount": 1,
        "latencySumMs": 120.0,
        latency_bin(120.0): 1,
    }


def test_a_run_without_latency_adds_no_latency():
    assert run_increments("unhealthy", None) == {"runCount": 1, "unhealthyCount": 1}


@pytest.mark.parametrize(
    ("latency", "name"),
    [(0.0, ZERO_BIN), (0.0001, ZERO_BIN), (-3.0, ZERO_BIN), (1.0, "b0"), (0.5, "bn34"), (100.0, "b231")],
)
def test_latency_bin_names(latency, name):
    assert latency_bin(latency) == name


@given(value=latencies)
def test_a_single_value_reads_back_within_one_percent(value):
    # given one latency stored as one bin
    sketch = sketch_from_bins({latency_bin(value): 1})

    # then every quantile of the rebuilt sketch is within the sketch's accuracy
    assert within_accuracy(sketch.get_quantile_value(0.5), value)


def test_latency_bins_ignore_other_attributes():
    item = {"pk": "x", "bucketStart": "2024", "runCount": Decimal(3), "b12": Decimal(2), "bn3": 1, "bz": 0}
    assert latency_bins(item) == {"b12": 2, "bn3": 1}


# --- merging ---------------------------------------------------------------------------------


@given(a=runs, b=runs, c=runs)
def test_merge_is_associative_and_commutative(a, b, c):
    x, y, z = item_of(a), item_of(b), item_of(c)
    left = merge_items([merge_items([x, y]), z])
    right = merge_items([x, merge_items([y, z])])
    swapped = merge_items([z, y, x])
    assert counters(left) == counters(right) == counters(swapped)
    assert left.get("latencySumMs", 0) == pytest.approx(right.get("latencySumMs", 0))


@given(groups=st.lists(runs, max_size=6))
def test_merged_counters_equal_the_counters_of_all_runs_together(groups):
    # given runs split across several items (hours, sources)
    merged = merge_items(item_of(group) for group in groups)

    # then merging them counts exactly what one item holding every run counts
    everything = item_of([run for group in groups for run in group])
    assert counters(merged) == counters(everything)


def test_merge_drops_keys_and_reads_decimals():
    # given items as read from DynamoDB
    items = [
        {
            "pk": "a",
            "runCount": Decimal(2),
            "healthyCount": Decimal(2),
            "latencySumMs": Decimal("10.5"),
            "latencyCount": Decimal(2),
            "b10": Decimal(2),
        },
        {"pk": "b", "runCount": Decimal(1), "unhealthyCount": Decimal(1)},
    ]

    # when merged
    merged = merge_items(items)

    # then only counters remain, as Python numbers
    assert merged == {
        "runCount": 3,
        "healthyCount": 2,
        "unhealthyCount": 1,
        "latencySumMs": 10.5,
        "latencyCount": 2,
        "b10": 2,
    }


@given(
    groups=st.lists(st.lists(latencies, min_size=1, max_size=30), min_size=1, max_size=8),
    q=st.sampled_from([0.0, 0.5, 0.95, 0.99, 1.0]),
)
def test_merged_quantiles_are_within_one_percent_of_the_exact_union(groups, q):
    # given hourly items with latencies
    hourlies = [item_of([("healthy", value) for value in group]) for group in groups]

    # when merged into one daily item
    daily = merge_items(hourlies)
    sketch = sketch_from_bins(latency_bins(daily))

    # then its quantile is within 1% of the exact quantile of all the values together
    union = [value for group in groups for value in group]
    assert within_accuracy(sketch.get_quantile_value(q), exact_quantile(union, q))


def test_daily_p95_is_not_the_max_of_hourly_p95s():
    # given one hour with a slow spike and 23 hours of fast runs
    spiky_hour = [1000.0] * 10 + [10.0] * 10
    quiet_hours = [[10.0] * 20 for _ in range(23)]
    hourlies = [item_of([("healthy", v) for v in spiky_hour])]
    hourlies += [item_of([("healthy", v) for v in hour]) for hour in quiet_hours]

    # when the day is summarized from the merged bins
    daily = summarize(merge_items(hourlies), DAY, DAY + timedelta(days=1))
    hourly_p95s = [summarize(h, DAY, DAY)["latencyMs"]["p95"] for h in hourlies]

    # then the daily p95 reflects the day (fast), not its worst hour
    assert within_accuracy(daily["latencyMs"]["p95"], 10.0)
    assert max(hourly_p95s) > 900


# --- summaries -------------------------------------------------------------------------------


def test_summary_is_a_bucket_with_exact_counts_and_avg():
    # given an hour with three runs, one without latency
    item = item_of([("healthy", 100.0), ("degraded", 300.0), ("unhealthy", None)])

    # when summarized
    bucket = summarize(item, DAY, DAY + timedelta(hours=1))

    # then it validates as a Bucket, with exact counts and avg
    assert BucketView.model_validate(bucket).to_wire() == bucket
    counts = [bucket[name] for name in ("runCount", "healthyCount", "degradedCount", "unhealthyCount")]
    assert counts == [3, 1, 1, 1]
    assert bucket["successRate"] == pytest.approx(1 / 3)
    assert bucket["latencyMs"]["avg"] == 200.0
    assert within_accuracy(bucket["latencyMs"]["min"], 100.0)
    assert within_accuracy(bucket["latencyMs"]["max"], 300.0)


def test_summary_of_an_empty_item_has_no_rate_and_no_latency():
    bucket = summarize({}, DAY, DAY + timedelta(hours=1))
    assert bucket["runCount"] == 0
    assert bucket["successRate"] is None
    assert set(bucket["latencyMs"].values()) == {None}


@given(values=st.lists(latencies, min_size=1, max_size=30))
def test_summary_latencies_are_ordered(values):
    latency = summarize(item_of([("healthy", v) for v in values]), DAY, DAY)["latencyMs"]
    assert latency["min"] <= latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"]
    assert latency["min"] <= latency["avg"] <= latency["max"]


def test_zero_latencies_read_back_as_zero():
    item = item_of([("healthy", 0.0), ("healthy", 0.0), ("healthy", 50.0)])
    latency = summarize(item, DAY, DAY)["latencyMs"]
    assert latency["min"] == 0.0
    assert latency["p50"] == 0.0


# --- downsampling ----------------------------------------------------------------------------
