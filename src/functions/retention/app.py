"""RetentionFunction: hourly, runs or continues the daily retention pass (services/retention.py)
from its checkpoint, stopping before the invocation's time limit."""

from concurrent.futures import ThreadPoolExecutor

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import aws
from shared.data.retention import RetentionStore
from shared.data.sweeps import SweepCheckpoints
from shared.observability import logger, metrics
from shared.services.context import default_collaborators
from shared.services.retention import apply_retention

EXPIRY_WRITERS = 16


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    collaborators = default_collaborators()
    table = collaborators.settings.table_name
    with ThreadPoolExecutor(EXPIRY_WRITERS) as pool:
        report = apply_retention(
            collaborators,
            RetentionStore(aws.dynamodb(), table),
            SweepCheckpoints(aws.dynamodb(), table),
            time_left=lambda: context.get_remaining_time_in_millis() / 1000,
            parallel_map=lambda function, items: list(pool.map(function, items)),
        )
    metrics.add_metric(name="HistoryItemsDeleted", unit="Count", value=report.deleted)
    metrics.add_metric(name="HistoryExpiryMoved", unit="Count", value=report.extended)
    if report.finished:
        metrics.add_metric(name="RetentionPassCompleted", unit="Count", value=1)
    return {
        "finished": report.finished,
        "itemsDeleted": report.deleted,
        "expiryMoved": report.extended,
        "tombstonesPurged": len(report.purged),
        "assignmentsChecked": report.assignments,
    }
