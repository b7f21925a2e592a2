"""When a check runs: epoch-aligned slots shifted by a stable per-check jitter (pure)."""

from __future__ import annotations

import zlib


def jitter_offset(system_id: str, configuration_id: str, interval_seconds: int) -> int:
    """A stable offset in [0, interval) so that checks with equal intervals do not fire together."""
    return zlib.crc32(f"{system_id}/{configuration_id}".encode()) % interval_seconds


def next_slot(moment: int, interval_seconds: int, offset: int) -> int:
    """The first slot at or after `moment`."""
    base = moment - offset
    return offset + -(-base // interval_seconds) * interval_seconds


def slots_in_tick(
    next_due: int, interval_seconds: int, offset: int, tick_start: int, tick_end: int
) -> tuple[list[int], int]:
    """Slots to enqueue for the tick [tick_start, tick_end) and the next due time after it.

    An overdue check (new, resumed, rescheduled, or missed ticks) runs once at the start of the
    tick, and its next aligned slot is at least one interval later: never one run per missed slot.
    """
    if next_due < tick_start:
        slots = [tick_start]
        slot = next_slot(tick_start + interval_seconds, interval_seconds, offset)
    else:
        slots = []
        slot = next_slot(next_due, interval_seconds, offset)
    while slot < tick_end:
        slots.append(slot)
        slot += interval_seconds
    return slots, slot
