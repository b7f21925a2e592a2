"""RetentionFunction: daily, drop history past each assignment's retention and of deleted systems."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.observability import logger, metrics
from shared.services.context import default_collaborators
from shared.services.retention import apply_retention


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    report = apply_retention(default_collaborators())
    metrics.add_metric(name="RunsExpired", unit="Count", value=report.runs)
    return {
        "runsDeleted": report.runs,
        "aggregatesDeleted": report.aggregates,
        "systemsPurged": report.purged_systems,
    }
