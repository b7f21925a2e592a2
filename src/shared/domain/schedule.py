"""When a check runs: epoch-aligned slots shifted by a stable per-check jitter (pure)."""

from __future__ import annotations

import uuid
import zlib
from dataclasses import dataclass

# Fixed for ever: changing it would give a resent run a new id and record it twice.
RUN_ID_NAMESPACE = uuid.UUID("5b0f3f4e-9a57-4c55-9d0b-2f6a8e1c7d10")


@dataclass(frozen=True)
class PlannedRun:
    """One run the scheduler sends: `run_id` names the due slot `slot`, `at` is when it should start."""

    run_id: str
    at: int
    slot: int | None = None


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


def scheduled_run_id(system_id: str, configuration_id: str, slot: int) -> str:
    """The same (system, check, slot) always gets the same run id, so a resend records once."""
    return str(uuid.uuid5(RUN_ID_NAMESPACE, f"{system_id}/{configuration_id}/{slot}"))


def plan_runs(
    system_id: str,
    configuration_id: str,
    seen_due: int,
    interval_seconds: int,
    tick_start: int,
    tick_end: int,
) -> tuple[list[PlannedRun], int]:
    """The runs of one due assignment in a tick and its next due time.

    The first run is named after the due time it consumes (`seen_due`), the others after their
    own slot: until the due time is advanced, every tick plans that first run under the same id.
    """
    offset = jitter_offset(system_id, configuration_id, interval_seconds)
    slots, next_due = slots_in_tick(seen_due, interval_seconds, offset, tick_start, tick_end)
    names = [seen_due, *slots[1:]][: len(slots)]
    return [
        PlannedRun(scheduled_run_id(system_id, configuration_id, name), at, name)
        for name, at in zip(names, slots, strict=True)
    ], next_due
