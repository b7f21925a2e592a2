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


def slots_in_tick(next_due: int, interval_seconds: int, offset: int, tick_start: int, tick_end: int
                  ) -> tuple[list[int], int]:
    """Slots to enqueue for the tick [tick_start, tick_end) and the next due time after it.

    A check that is overdue (the scheduler missed ticks) runs once now rather than once per missed slot.
    """
    first = max(next_due, tick_start)
    slots = [tick_start] if next_due < tick_start else []
    slot = next_slot(first, interval_seconds, offset)
    if slots and slot == tick_start:
        slot += interval_seconds
    while slot < tick_end:
        slots.append(slot)
        slot += interval_seconds
    return slots, slot
