"""Sending spooled results: oldest first, in batches of at most 500, removing only what the API answered for.
A result is built by `result_payload`; `drain_spool` keeps sending, backing off while the API is away.

Accepted and duplicate results are done. Rejected ones are removed too (resending cannot help) and
logged with their code. A batch the API refuses as a whole (400/413/422) is split in halves until
the offending result is alone, so one bad result never blocks the rest of the spool.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from satellite import logs
from satellite.assignments import Assignment
from satellite.backoff import Backoff
from satellite.client import ApiUnavailableError, IngestAnswer, RequestRejectedError
from satellite.spool import Spool, SpooledResult
from shared.domain.models import format_timestamp
from shared.strategies.runner import ProbeOutcome

MAX_BATCH = 500


class ResultSender(Protocol):
    async def send_results(self, results: list[dict]) -> IngestAnswer: ...


async def send_oldest_batch(spool: Spool, sender: ResultSender, *, batch_size: int = MAX_BATCH) -> int:
    """Send the oldest spooled results once; returns how many left the spool.

    Raises ApiUnavailableError or UnauthorizedError from the sender; whatever was settled before
    that stays settled.
    """
    batch = spool.oldest(min(batch_size, MAX_BATCH))
    if not batch:
        return 0
    return await _send(spool, sender, batch)


async def _send(spool: Spool, sender: ResultSender, batch: list[SpooledResult]) -> int:
    try:
        answer = await sender.send_results([item.payload for item in batch])
    except RequestRejectedError as error:
        if len(batch) == 1:
            logs.error("result dropped", result_id=batch[0].result_id, status=error.status, code=error.code)
            return spool.remove([batch[0].result_id])
        middle = len(batch) // 2
        return await _send(spool, sender, batch[:middle]) + await _send(spool, sender, batch[middle:])
    return _settle(spool, batch, answer)


def _settle(spool: Spool, batch: list[SpooledResult], answer: IngestAnswer) -> int:
    sent_ids = {item.result_id for item in batch}
    rejected = [item for item in answer.rejected if item.result_id in sent_ids]
    for item in rejected:
        logs.warning("result rejected", result_id=item.result_id, code=item.code, reason=item.message)
    settled = [result_id for result_id in (*answer.accepted, *answer.duplicates) if result_id in sent_ids] + [
        item.result_id for item in rejected
    ]
    removed = spool.remove(settled)
    unanswered = len(sent_ids - set(settled))
    logs.info(
        "results sent",
        accepted=len(answer.accepted),
        duplicates=len(answer.duplicates),
        rejected=len(rejected),
        rejected_codes=dict(Counter(item.code for item in rejected)) or None,
        unanswered=unanswered or None,
        spooled=len(spool),
    )
    return removed


def result_payload(assignment: Assignment, outcome: ProbeOutcome) -> dict[str, Any]:
    """One result as the API takes it: the stored result subset, never a body; a fresh, stable resultId."""
    payload: dict[str, Any] = {
        "resultId": str(uuid.uuid4()),
        "systemId": assignment.system_id,
        "configurationId": assignment.configuration_id,
        "status": outcome.status,
        "result": outcome.result,
        "executedAt": format_timestamp(outcome.started_at),
    }
    if outcome.latency_ms is not None:
        payload["latencyMs"] = round(outcome.latency_ms)
    if outcome.error is not None:
        # The probe's own reason (e.g. a target refused by the SSRF guard) is stored with the run.
        payload["error"] = {"code": outcome.error["code"], "message": outcome.error["message"][:500]}
    return payload


async def drain_spool(
    spool: Spool,
    sender: ResultSender,
    backoff: Backoff,
    *,
    stop: Any,
    wait: Callable[[Any, float], Awaitable[None]],
    max_failures: int | None = None,
) -> bool:
    """Send until the spool is empty (True), or `stop` is set, or `max_failures` failed sends in a row,
    backing off while the API is unavailable. UnauthorizedError propagates: no retry can fix it."""
    failures = 0
    while len(spool) and not stop.is_set():
        status, retry_after = None, None
        try:
            settled = await send_oldest_batch(spool, sender)
            reason = "the API acknowledged none of the batch"
        except ApiUnavailableError as error:
            settled, reason, status, retry_after = (
                0,
                error.reason,
                error.status,
                error.retry_after_seconds,
            )
        if settled:
            backoff.reset()
            failures = 0
            continue
        failures += 1
        if max_failures is not None and failures >= max_failures:
            return False
        delay = backoff.next_delay(retry_after)
        logs.warning(
            "results not sent",
            reason=reason,
            status=status,
            retry_in_seconds=round(delay, 3),
            spooled=len(spool),
        )
        await wait(stop, delay)
    return not len(spool)
