"""NotifierFunction: the notifications queue carries health transitions (from the EventBridge rule),
incident wake-ups (from one-time schedules) and single deliveries. Failed deliveries wait an
exponential back-off (the message's visibility) and reach the dead-letter queue after the last."""

import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import aws
from shared.observability import logger, metrics
from shared.services.alerting.context import default_alerting
from shared.services.alerting.notifier import DeliveryRetry, handle_message

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def process(record: SQSRecord) -> str:
    attempt = int(record.attributes.approximate_receive_count or 1)
    try:
        return handle_message(default_alerting(), json.loads(record.body), attempt=attempt)
    except DeliveryRetry as retry:
        # The back-off is the message's visibility; after the last attempt it is visible at once, so
        # the queue's redrive moves it to the dead-letter queue on its next receive.
        aws.sqs().change_message_visibility(
            QueueUrl=default_alerting().queue_url,
            ReceiptHandle=record.receipt_handle,
            VisibilityTimeout=0 if retry.final else retry.delay_seconds,
        )
        raise


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=process, processor=processor, context=context)
