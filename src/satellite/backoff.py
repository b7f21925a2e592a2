"""Exponential backoff with jitter for talking to an API that is down or throttling."""

from __future__ import annotations

import random
from collections.abc import Callable

# A server asking for more than this is more likely misconfigured than overloaded.
MAX_RETRY_AFTER_SECONDS = 900.0
# 2**32 times any sane base is far beyond any cap; the exponent stops growing there.
MAX_EXPONENT = 32


class Backoff:
    """Delays that double per consecutive failure up to a cap, jittered into [half, full]."""

    def __init__(
        self,
        *,
        base_seconds: float,
        cap_seconds: float,
        random_fraction: Callable[[], float] = random.random,
    ) -> None:
        self._base_seconds = base_seconds
        self._cap_seconds = cap_seconds
        self._random_fraction = random_fraction
        self._failures = 0

    @property
    def failures(self) -> int:
        return self._failures

    def next_delay(self, retry_after_seconds: float | None = None) -> float:
        """The wait before the next attempt; never shorter than the server's Retry-After."""
        exponential = min(self._cap_seconds, self._base_seconds * 2**self._failures)
        self._failures = min(self._failures + 1, MAX_EXPONENT)
        # Equal jitter: spread satellites that failed together, yet keep at least half the wait.
        delay = exponential * (0.5 + 0.5 * self._random_fraction())
        if retry_after_seconds is not None:
            delay = max(delay, min(retry_after_seconds, MAX_RETRY_AFTER_SECONDS))
        return delay

    def reset(self) -> None:
        self._failures = 0
