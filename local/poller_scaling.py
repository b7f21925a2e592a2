"""How many of a queue subscription's pollers poll: Lambda's SQS event source scales out while the
batches keep its invocations busy, and back in when they do not.

Poller 0 always polls. Poller n polls while poller n - 1 spent at least 90 % of the last
`window_seconds` invoking the function, that is while messages wait for it: a queue that one
sandbox drains with time to spare (the notifier's few events a minute; the soak's 1,200 runs a
minute, ~60 % of one executor sandbox) keeps one sandbox, a queue that keeps it busy gets the next
one. A sandbox its poller no longer uses is ended when idle, as any other.
"""

from __future__ import annotations

import threading
import time
from collections import deque

BUSY_SHARE_TO_SCALE_OUT = 0.9


class PollerScale:
    """The busy time of one subscription's pollers over a sliding window."""

    def __init__(self, window_seconds: float = 10.0, clock=time.monotonic):
        self.window_seconds = window_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._invocations: dict[int, deque[tuple[float, float]]] = {}

    def record(self, number: int, started: float, ended: float) -> None:
        """Poller `number` invoked the function from `started` to `ended` (clock readings)."""
        with self._lock:
            self._invocations.setdefault(number, deque()).append((started, ended))

    def should_poll(self, number: int) -> bool:
        return number == 0 or self.busy_share(number - 1) >= BUSY_SHARE_TO_SCALE_OUT

    def busy_share(self, number: int) -> float:
        """The share of the last window poller `number` spent invoking."""
        now = self._clock()
        since = now - self.window_seconds
        with self._lock:
            invocations = self._invocations.get(number, deque())
            while invocations and invocations[0][1] <= since:
                invocations.popleft()
            busy = sum(min(ended, now) - max(started, since) for started, ended in invocations)
        return busy / self.window_seconds
