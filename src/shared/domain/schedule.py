"""When a check runs: epoch-aligned slots shifted by a stable per-check jitter, planned a window
of time at a time (pure).

A check's schedule is its interval and when that schedule began (`scheduled_since`: created,
resumed, enabled or given a new interval). Its first run is a minute after that moment, then it
runs on its aligned slots from one interval later. Every run is named after its slot, so whichever
tick plans a slot, and however often it is resent, it is one run.
"""

from __future__ import annotations

import uuid
import zlib

from shared.domain.catalog_items import AssignmentItem

# Fixed for ever: changing it would give a resent run a new id and record it twice.
RUN_ID_NAMESPACE = uuid.UUID("5b0f3f4e-9a57-4c55-9d0b-2f6a8e1c7d10")
# Every planning window ends a minute after its tick started, so the first window planned after a
# change holds the moment a minute later: the changed schedule is always seen by the tick that plans it.
FIRST_RUN_DELAY_SECONDS = 60


def is_scheduled(assignment: AssignmentItem) -> bool:
    """The scheduler runs an assignment that is enabled, runs locally and whose check is not paused."""
    return assignment.enabled and assignment.include_local and not assignment.configuration_paused


def jitter_offset(system_id: str, configuration_id: str, interval_seconds: int) -> int:
    """A stable offset in [0, interval) so that checks with equal intervals do not fire together."""
    return zlib.crc32(f"{system_id}/{configuration_id}".encode()) % interval_seconds


def next_slot(moment: int, interval_seconds: int, offset: int) -> int:
    """The first slot at or after `moment`."""
    base = moment - offset
    return offset + -(-base // interval_seconds) * interval_seconds


def scheduled_run_id(system_id: str, configuration_id: str, slot: int) -> str:
    """The same (system, check, slot) always gets the same run id, so a resend records once."""
    return str(uuid.uuid5(RUN_ID_NAMESPACE, f"{system_id}/{configuration_id}/{slot}"))


def first_run_at(scheduled_since: int) -> int:
    """When a check whose schedule began at `scheduled_since` first runs."""
    return scheduled_since + FIRST_RUN_DELAY_SECONDS


def slots_in_window(
    system_id: str,
    configuration_id: str,
    interval_seconds: int,
    scheduled_since: int | None,
    window: tuple[int, int],
    tick_start: int,
) -> list[int]:
    """The slots of one check in the window [start, end), in order.

    Slots before `tick_start` (a window a killed or late tick left behind) are missed: only the
    latest of them is kept, so a check makes up for a missed stretch with one run, never a flood.
    """
    start, end = window
    offset = jitter_offset(system_id, configuration_id, interval_seconds)
    first = None if scheduled_since is None else first_run_at(scheduled_since)
    floor = start if first is None else max(start, first + interval_seconds)
    missed = []
    if first is not None and start <= first < min(end, tick_start):
        missed.append(first)
    missed_end = min(end, tick_start)
    if floor < missed_end:
        latest = next_slot(missed_end, interval_seconds, offset) - interval_seconds
        if latest >= floor:
            missed.append(latest)
    upcoming = []
    if first is not None and max(start, tick_start) <= first < end:
        upcoming.append(first)
    slot = next_slot(max(floor, tick_start), interval_seconds, offset)
    while slot < end:
        upcoming.append(slot)
        slot += interval_seconds
    return ([max(missed)] if missed else []) + upcoming
