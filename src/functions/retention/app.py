"""RetentionFunction: hourly, and at once through its continuation queue, runs or continues the daily
retention pass and the settled day's availability summaries from their checkpoints, stopping before
the invocation's time limit (services/retention_run.py)."""

from concurrent.futures import ThreadPoolExecutor

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import aws
from shared.data.retention import RetentionStore
from shared.data.sweeps import SweepCheckpoints
from shared.observability import logger, metrics
from shared.queue import ContinuationQueue
from shared.services.context import default_collaborators
from shared.services.retention_run import run_retention

EXPIRY_WRITERS = 16


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    collaborators = default_collaborators()
    settings = collaborators.settings
    queue_url = settings.retention_queue_url
    with ThreadPoolExecutor(EXPIRY_WRITERS) as pool:
        invocation = run_retention(
            collaborators,
            RetentionStore(aws.dynamodb(), settings.table_name),
            SweepCheckpoints(aws.dynamodb(), settings.table_name),
            ContinuationQueue(aws.sqs(), queue_url) if queue_url else None,
            time_left=lambda: context.get_remaining_time_in_millis() / 1000,
            parallel_map=lambda function, items: list(pool.map(function, items)),
        )
    report = invocation.retention
    metrics.add_metric(name="HistoryItemsDeleted", unit="Count", value=report.deleted)
    metrics.add_metric(name="HistoryExpiryMoved", unit="Count", value=report.extended)
    metrics.add_metric(name="AvailabilityDaysSummarised", unit="Count", value=invocation.summaries.systems)
    if report.finished:
        metrics.add_metric(name="RetentionPassCompleted", unit="Count", value=1)
    return {
        "finished": report.finished and invocation.summaries.finished,
        "itemsDeleted": report.deleted,
        "expiryMoved": report.extended,
        "tombstonesPurged": len(report.purged),
        "assignmentsChecked": report.assignments,
        "summariesChecked": invocation.summaries.systems,
        "continued": invocation.continued,
    }
