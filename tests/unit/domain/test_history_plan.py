import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.history_plan import Coverage, bucket_edges, bucket_width, plan_spans

ORIGIN = datetime(2030, 1, 1, tzinfo=UTC)
moments = st.integers(min_value=0, max_value=400 * 86400).map(lambda s: ORIGIN + timedelta(seconds=s))
lengths = st.integers(min_value=1, max_value=400 * 86400).map(lambda s: timedelta(seconds=s))


@given(moments, lengths, st.integers(min_value=10, max_value=2000))
def test_buckets_tile_the_range_exactly_within_the_points(start, length, points):
    # given / when
    width = bucket_width(start, start + length, points)
    edges = bucket_edges(start, start + length, width)
    # then: contiguous, inside [from, to), no more than asked
    assert edges[0][0] == start and edges[-1][1] == start + length
    assert all(a[1] == b[0] for a, b in itertools.pairwise(edges))
    assert len(edges) <= points


@settings(deadline=None)
@given(moments, lengths, st.integers(min_value=10, max_value=2000), moments, moments, moments)
def test_spans_never_overlap_and_stay_in_the_range(start, length, points, raw_from, hourly_from, daily_from):
    # given
    end = start + length
    coverage = Coverage(raw_from, hourly_from, daily_from)
    # when
    spans = plan_spans(start, end, bucket_width(start, end, points), coverage)
    # then: each instant of the range is read from one tier at most, and never outside it
    assert all(s.start < s.end for s in spans)
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))
    assert all(start <= s.start and s.end <= end for s in spans)


def test_a_range_within_raw_and_hourly_retention_is_fully_covered():
    # given
    start, end = datetime(2030, 1, 1, 17, 55, tzinfo=UTC), datetime(2030, 1, 3, 18, 10, tzinfo=UTC)
    coverage = Coverage(ORIGIN, ORIGIN, ORIGIN)
    # when
    spans = plan_spans(start, end, 7200, coverage)
    # then: raw edges, whole hours between
    assert [s.tier for s in (spans[0], spans[-1])] == ["raw", "raw"]
    assert {s.tier for s in spans[1:-1]} == {"hourly"}
    assert sum((s.end - s.start for s in spans), timedelta()) == end - start
