"""ExecutorFunction: an SQS batch of run requests, probed concurrently, each recorded once.
The runs are recorded concurrently too (each in a thread of the default pool), so their store calls'
latency overlaps; recording is safe under concurrency: conditional writes decide every race.
Failed records are reported in `batchItemFailures`; SQS retries them, then dead-letters them."""

import asyncio

from aws_lambda_powertools.utilities.batch import (
    AsyncBatchProcessor,
    EventType,
    async_process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.observability import logger, metrics
from shared.services.context import default_collaborators
from shared.services.execution import probe_batch, record_prepared

processor = AsyncBatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
SAFETY_MARGIN_SECONDS = 15
MAX_PROBE_BUDGET_SECONDS = 45


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    collaborators = default_collaborators()
    remaining = context.get_remaining_time_in_millis() / 1000 - SAFETY_MARGIN_SECONDS
    prepared = probe_batch(
        collaborators,
        {r["messageId"]: r.get("body", "") for r in event.get("Records", [])},
        budget_seconds=max(1.0, min(MAX_PROBE_BUDGET_SECONDS, remaining)),
    )

    async def record(record: SQSRecord) -> str:
        recorded = await asyncio.to_thread(record_prepared, collaborators, prepared[record.message_id])
        return recorded.outcome

    return async_process_partial_response(
        event=event, record_handler=record, processor=processor, context=context
    )
