"""The retry helper: bounded, growing jittered pauses, last error propagates."""

import pytest

from shared.retry import RetryPolicy, retry


class Flaky:
    def __init__(self, failures: int):
        self.failures = failures
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise TimeoutError("not yet")
        return "done"


def test_retry_returns_once_the_call_succeeds_after_pausing_between_tries():
    # given
    pauses: list[float] = []
    policy = RetryPolicy(
        attempts=5, base_seconds=0.1, cap_seconds=10, sleep=pauses.append, jitter=lambda: 1.0
    )
    flaky = Flaky(failures=3)
    # when
    answer = retry(flaky, on=TimeoutError, policy=policy)
    # then
    assert answer == "done"
    assert flaky.calls == 4
    assert pauses == pytest.approx([0.1, 0.2, 0.4])


def test_retry_gives_up_after_the_bound_with_the_last_error():
    # given
    pauses: list[float] = []
    policy = RetryPolicy(attempts=3, sleep=pauses.append)
    flaky = Flaky(failures=100)
    # when / then
    with pytest.raises(TimeoutError):
        retry(flaky, on=TimeoutError, policy=policy)
    assert flaky.calls == 3
    assert len(pauses) == 2


def test_pauses_are_capped_and_jittered_below_the_cap():
    # given
    policy = RetryPolicy(attempts=20, base_seconds=0.01, cap_seconds=0.5, jitter=lambda: 0.5)
    # when
    pauses = [policy.pause(n) for n in range(20)]
    # then
    assert pauses[0] == pytest.approx(0.005)
    assert max(pauses) == pytest.approx(0.25)
    assert pauses == sorted(pauses)


def test_errors_not_named_are_not_retried():
    # given
    calls = []

    def broken() -> None:
        calls.append(1)
        raise KeyError("bug")

    # when / then
    with pytest.raises(KeyError):
        retry(broken, on=TimeoutError, policy=RetryPolicy(sleep=lambda _: None))
    assert len(calls) == 1
