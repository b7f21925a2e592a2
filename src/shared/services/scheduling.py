"""Turning due assignments into SQS run requests, and asking for one run now."""

from __future__ import annotations

from dataclasses import dataclass

from shared.data import keys
from shared.domain.errors import ConflictError
from shared.domain.models import format_timestamp
from shared.domain.schedule import jitter_offset, slots_in_tick
from shared.observability import logger
from shared.queue import CheckRequest
from shared.services.context import Collaborators

TICK_SECONDS = 60


@dataclass(frozen=True)
class TickReport:
    due: int
    enqueued: int
    skipped: int


def request_run(c: Collaborators, system_id: str, configuration_id: str) -> str:
    """Enqueue one immediate local run of an assigned check; returns when it was requested."""
    assignment = c.repository.get_assignment(system_id, configuration_id)
    if not assignment["includeLocal"]:
        raise ConflictError("this check runs on satellites only (includeLocal is false)")
    requested_at = format_timestamp(c.clock())
    c.queue.send_one(CheckRequest(system_id, configuration_id, requested_at, "manual"))
    return requested_at


def enqueue_due(c: Collaborators) -> TickReport:
    """One scheduler tick: every assignment due within the next minute, found through the sparse
    ByNextDue index, is claimed by a conditional advance of its next due time and enqueued.

    Claim-then-send makes a second tick in the same minute enqueue nothing twice; a send that
    fails gives the claim back so the next tick retries.
    """
    now = c.clock()
    tick_start = int(now.timestamp())
    tick_end = tick_start + TICK_SECONDS
    candidates = [
        pair for shard in keys.all_due_shards() for pair in c.repository.due_assignment_keys(shard, tick_end)
    ]
    requests: list[tuple[dict, int, list[CheckRequest]]] = []
    skipped = 0
    for assignment in c.repository.get_assignments(candidates):
        system_id, configuration_id = assignment["systemId"], assignment["configurationId"]
        seen_due = assignment.get("nextDueAt")
        if seen_due is None or seen_due >= tick_end:
            continue
        if (
            not assignment["enabled"]
            or not assignment["includeLocal"]
            or assignment.get("configurationPaused")
        ):
            c.repository.clear_schedule(system_id, configuration_id, seen_due=seen_due)
            skipped += 1
            continue
        interval = assignment["intervalSeconds"]
        slots, next_due = slots_in_tick(
            seen_due, interval, jitter_offset(system_id, configuration_id, interval), tick_start, tick_end
        )
        if not c.repository.advance_schedule(
            system_id, configuration_id, seen_due=seen_due, next_due=next_due
        ):
            skipped += 1
            continue
        requested_at = format_timestamp(now)
        requests.append(
            (
                assignment,
                seen_due,
                [
                    CheckRequest(
                        system_id, configuration_id, requested_at, "schedule", delay_seconds=slot - tick_start
                    )
                    for slot in slots
                ],
            )
        )
    flat = [r for _, _, batch in requests for r in batch]
    refused_requests = c.queue.send(flat) if flat else []
    refused = {(r.system_id, r.configuration_id) for r in refused_requests}
    for assignment, seen_due, _ in requests:
        pair = (assignment["systemId"], assignment["configurationId"])
        if pair in refused:
            logger.warning("run request not sent", system_id=pair[0], configuration_id=pair[1])
            c.repository.advance_schedule(
                *pair, seen_due=_next_of(assignment, seen_due, tick_start, tick_end), next_due=seen_due
            )
    return TickReport(due=len(candidates), enqueued=len(flat) - len(refused_requests), skipped=skipped)


def _next_of(assignment: dict, seen_due: int, tick_start: int, tick_end: int) -> int:
    interval = assignment["intervalSeconds"]
    offset = jitter_offset(assignment["systemId"], assignment["configurationId"], interval)
    return slots_in_tick(seen_due, interval, offset, tick_start, tick_end)[1]
