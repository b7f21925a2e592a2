"""Sending spooled results: oldest first, in batches of at most 500, removing only what the API answered for.

Accepted and duplicate results are done. Rejected ones are removed too (resending cannot help) and
logged with their code. A batch the API refuses as a whole (400/413/422) is split in halves until
the offending result is alone, so one bad result never blocks the rest of the spool.
"""

from __future__ import annotations

from collections import Counter
from typing import Protocol

from satellite import logs
from satellite.client import IngestAnswer, RequestRejectedError
from satellite.spool import Spool, SpooledResult

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
