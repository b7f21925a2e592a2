"""When each assigned check runs: on its own interval, at a stable offset within that interval.

The offset comes from a hash of the check and the satellite, so restarts keep the same rhythm and
many checks with the same interval do not all fire in the same second.
"""

from __future__ import annotations

import hashlib
import math


def stable_phase(key: str, interval_seconds: float) -> float:
    """A fixed offset in [0, interval) for `key`, the same in every process."""
    digest = hashlib.sha256(key.encode()).digest()
    fraction = int.from_bytes(digest[:8], "big") / 2**64
    return fraction * interval_seconds


def next_due(now: float, interval_seconds: float, phase: float) -> float:
    """The first time strictly after `now` that lies on the grid `phase + k * interval`."""
    periods = math.floor((now - phase) / interval_seconds) + 1
    return phase + periods * interval_seconds
