"""Each check runs on its own interval at a stable offset, so restarts keep the rhythm."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from satellite.schedule import next_due, stable_phase


def test_the_offset_of_a_check_is_the_same_in_every_process() -> None:
    # when / then
    assert stable_phase("edge-1/billing/home", 60) == stable_phase("edge-1/billing/home", 60)


def test_different_checks_get_different_offsets() -> None:
    # when
    phases = {stable_phase(f"edge-1/billing/check-{index}", 60) for index in range(20)}

    # then
    assert len(phases) == 20


@given(
    key=st.text(max_size=40),
    interval=st.floats(min_value=1, max_value=86_400),
    now=st.floats(min_value=0, max_value=4e9),
)
def test_the_next_run_is_within_one_interval_and_on_the_check_grid(
    key: str, interval: float, now: float
) -> None:
    # given
    phase = stable_phase(key, interval)

    # when
    due = next_due(now, interval, phase)

    # then
    assert 0 <= phase < interval
    assert now < due <= now + interval + 1e-6 * max(1.0, now)
    periods = (due - phase) / interval
    assert abs(periods - round(periods)) < 1e-6
