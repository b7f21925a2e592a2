"""The one retry helper: bounded attempts, exponential back-off with full jitter, injectable sleep.

Every loop that retries DynamoDB uses it: conflict retries (a conditional write lost to another
writer), state-version retries, and the unprocessed items of BatchGetItem / BatchWriteItem.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

R = TypeVar("R")


@dataclass(frozen=True)
class RetryPolicy:
    """At most `attempts` tries; before try n (n >= 1) a pause drawn from [0, min(cap, base * 2**(n-1)))."""

    attempts: int = 8
    base_seconds: float = 0.01
    cap_seconds: float = 0.5
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random

    def pause(self, retry: int) -> float:
        """The jittered pause before retry number `retry` (0 for the first retry)."""
        return self.jitter() * min(self.cap_seconds, self.base_seconds * 2**retry)

    def tries(self) -> Iterator[int]:
        """Attempt numbers 0..attempts-1, sleeping the back-off before every attempt but the first."""
        for attempt in range(self.attempts):
            if attempt:
                self.sleep(self.pause(attempt - 1))
            yield attempt


# Conflicts clear as soon as the other writer is done: short pauses, a few more tries.
CONFLICTS = RetryPolicy(attempts=10, base_seconds=0.005, cap_seconds=0.2)
# Unprocessed batch items mean the table is throttling: back off further before giving up.
UNPROCESSED = RetryPolicy(attempts=8, base_seconds=0.05, cap_seconds=2.0)


def retry(
    call: Callable[[], R],
    *,
    on: type[BaseException] | tuple[type[BaseException], ...],
    policy: RetryPolicy = CONFLICTS,
) -> R:
    """Call until it does not raise `on`, at most `policy.attempts` times; the last error propagates."""
    last = policy.attempts - 1
    for attempt in policy.tries():
        try:
            return call()
        except on:
            if attempt == last:
                raise
    raise ValueError("a retry policy needs at least one attempt")
