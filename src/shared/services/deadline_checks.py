"""Heartbeat deadlines for the scheduler: the deadline index (ByNextDue) holds each heartbeat
check's next deadline, moved by pings (services/heartbeats.py), not by runs. A shard worker sends a
deadline check for every deadline before the end of its tick, then looks again only much later as a
safety net: a ping or a recorded miss puts the next deadline in the index anyway.
"""

from __future__ import annotations

from shared.domain.heartbeat import DEADLINE_RECHECK_SECONDS, HEARTBEAT_STRATEGY_ID, deadline_run_id
from shared.domain.models import format_timestamp
from shared.domain.schedule import is_scheduled
from shared.queue import SEND_BATCH_LIMIT, CheckRequest
from shared.services.context import Collaborators
from shared.services.tick_report import ParallelMap, TickReport

CHUNK = 100  # one BatchGetItem of assignments, then their sends and moves in parallel


def enqueue_deadlines(c: Collaborators, shard: str, *, tick_end: int, parallel: ParallelMap) -> TickReport:
    """Send a deadline check for each heartbeat deadline of `shard` before `tick_end`, then move its
    place in the index on; an assignment found not to be run leaves the index."""
    candidates = c.repository.due_deadline_keys(shard, tick_end)
    report = TickReport()
    for start in range(0, len(candidates), CHUNK):
        report = report.add(_deadline_chunk(c, candidates[start : start + CHUNK], tick_end, parallel))
    return report


def _deadline_chunk(
    c: Collaborators, pairs: list[tuple[str, str]], tick_end: int, parallel: ParallelMap
) -> TickReport:
    due: list[tuple[CheckRequest, int]] = []
    clears: list[tuple[str, str, int, bool]] = []
    for assignment in c.repository.get_assignments(pairs):
        seen_due = assignment.next_due_at
        if seen_due is None or seen_due >= tick_end:
            continue
        pair = (assignment.system_id, assignment.configuration_id)
        if not is_scheduled(assignment):
            clears.append((*pair, seen_due, True))
        elif assignment.strategy_id != HEARTBEAT_STRATEGY_ID:
            clears.append((*pair, seen_due, False))  # a due time left by the per-run scheduler before
        else:
            due.append((_deadline_request(c, pair, seen_due), seen_due))
    parallel(lambda k: c.repository.clear_deadline(k[0], k[1], seen_due=k[2], unschedule=k[3]), clears)
    requests = [request for request, _ in due]
    batches = [requests[i : i + SEND_BATCH_LIMIT] for i in range(0, len(requests), SEND_BATCH_LIMIT)]
    refused = {id(r) for answer in parallel(c.queue.send, batches) for r in answer}
    sent = [(request, seen) for request, seen in due if id(request) not in refused]
    parallel(
        lambda d: c.repository.advance_deadline(
            d[0].system_id, d[0].configuration_id, seen_due=d[1], next_due=d[1] + DEADLINE_RECHECK_SECONDS
        ),
        sent,
    )
    return TickReport(due=len(due), enqueued=len(sent), skipped=len(clears) + len(due) - len(sent))


def _deadline_request(c: Collaborators, pair: tuple[str, str], deadline: int) -> CheckRequest:
    now = c.clock()
    return CheckRequest(
        *pair,
        format_timestamp(now),
        "deadline",
        delay_seconds=max(0, deadline - int(now.timestamp())),
        run_id=deadline_run_id(*pair, deadline),
        deadline=deadline,
    )
