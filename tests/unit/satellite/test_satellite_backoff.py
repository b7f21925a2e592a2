"""Backoff doubles per failure up to a cap, jitters, honours Retry-After, and starts over after a success."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from satellite.backoff import MAX_RETRY_AFTER_SECONDS, Backoff


def full_delays(**options: float) -> Backoff:
    return Backoff(random_fraction=lambda: 1.0, **options)


def test_delays_double_until_the_cap() -> None:
    # given
    backoff = full_delays(base_seconds=1, cap_seconds=10)

    # when
    delays = [backoff.next_delay() for _ in range(6)]

    # then
    assert delays == [1, 2, 4, 8, 10, 10]


def test_a_success_starts_the_delays_over() -> None:
    # given
    backoff = full_delays(base_seconds=1, cap_seconds=10)
    backoff.next_delay()
    backoff.next_delay()

    # when
    backoff.reset()

    # then
    assert backoff.next_delay() == 1


def test_retry_after_longer_than_the_backoff_is_honoured() -> None:
    # given
    backoff = full_delays(base_seconds=1, cap_seconds=10)

    # when
    delay = backoff.next_delay(retry_after_seconds=30)

    # then
    assert delay == 30


def test_an_absurd_retry_after_is_capped() -> None:
    # given
    backoff = full_delays(base_seconds=1, cap_seconds=10)

    # when
    delay = backoff.next_delay(retry_after_seconds=10**9)

    # then
    assert delay == MAX_RETRY_AFTER_SECONDS


@given(
    failures=st.integers(min_value=0, max_value=200),
    fraction=st.floats(min_value=0, max_value=1),
    retry_after=st.none() | st.floats(min_value=0, max_value=10_000),
)
def test_jittered_delays_stay_between_half_and_full_backoff_and_respect_retry_after(
    failures: int, fraction: float, retry_after: float | None
) -> None:
    # given
    backoff = Backoff(base_seconds=0.5, cap_seconds=60, random_fraction=lambda: fraction)
    for _ in range(failures):
        backoff.next_delay()
    full = min(60, 0.5 * 2 ** min(failures, 32))

    # when
    delay = backoff.next_delay(retry_after)

    # then
    assert delay >= full / 2
    if retry_after is None:
        assert delay <= full
    else:
        assert delay >= min(retry_after, MAX_RETRY_AFTER_SECONDS)
        assert delay <= max(full, min(retry_after, MAX_RETRY_AFTER_SECONDS))
