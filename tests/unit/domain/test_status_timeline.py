"""Span stats of adjacent pieces combine into the stats of the whole, whatever the cut points."""

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.status_timeline import changes_within, combine, span_stats, status_before

START = datetime(2030, 1, 1, tzinfo=UTC)
END = START + timedelta(days=3)
STATUSES = st.sampled_from(["healthy", "degraded", "unhealthy", "unknown"])
MOMENTS = st.integers(0, 3 * 86400).map(lambda s: START + timedelta(seconds=s))


def stats(changes, initial, maintenances, start, end):
    line = changes_within(changes, initial, start, end)
    return span_stats(line, status_before(changes, initial, start), maintenances, start, end)


@settings(max_examples=200, deadline=None)
@given(
    changes=st.lists(st.tuples(MOMENTS, STATUSES), max_size=30),
    initial=STATUSES,
    maintenances=st.lists(st.tuples(MOMENTS, st.integers(1, 20000)), max_size=3).map(
        lambda ms: [(a, a + timedelta(seconds=n)) for a, n in ms]
    ),
    cuts=st.lists(MOMENTS, max_size=5),
)
def test_pieces_combine_into_the_whole(changes, initial, maintenances, cuts):
    # given
    changes = sorted(changes, key=lambda change: change[0])
    edges = sorted({START, END, *cuts})
    # when
    whole = stats(changes, initial, maintenances, START, END)
    pieces = combine(stats(changes, initial, maintenances, a, b) for a, b in pairwise(edges))
    # then
    for name in (
        "span",
        "up",
        "down",
        "unknown",
        "maintenance",
        "longest_down",
        "leading_down",
        "trailing_down",
    ):
        assert getattr(pieces, name) == pytest.approx(getattr(whole, name)), name
    assert pieces.incidents == whole.incidents


def test_an_outage_over_midnight_is_one_incident_and_one_outage():
    # given
    midnight = START + timedelta(days=1)
    changes = [(midnight - timedelta(hours=1), "unhealthy"), (midnight + timedelta(hours=2), "healthy")]
    # when
    days = [stats(changes, "healthy", [], START, midnight), stats(changes, "healthy", [], midnight, END)]
    # then
    assert [d.incidents for d in days] == [1, 0]
    assert combine(days).longest_down == 3 * 3600
    assert combine(days).incidents == 1
