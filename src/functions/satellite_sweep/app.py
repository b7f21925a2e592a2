"""SatelliteSweepFunction: every minute, re-evaluate the systems of satellites that went silent,
resuming a sweep an earlier invocation left unfinished."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import aws
from shared.data.sweeps import SweepCheckpoints
from shared.observability import logger, metrics
from shared.services.context import default_collaborators
from shared.services.satellite_sweep import sweep_offline_satellites


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    collaborators = default_collaborators()
    report = sweep_offline_satellites(
        collaborators,
        SweepCheckpoints(aws.dynamodb(), collaborators.settings.table_name),
        time_left=lambda: context.get_remaining_time_in_millis() / 1000,
    )
    metrics.add_metric(name="SystemsReevaluated", unit="Count", value=len(report.reevaluated))
    if report.finished:
        metrics.add_metric(name="OfflineSweepCompleted", unit="Count", value=1)
    logger.info("offline sweep", systems=len(report.reevaluated), finished=report.finished)
    return {"reevaluatedSystems": report.reevaluated, "finished": report.finished}
