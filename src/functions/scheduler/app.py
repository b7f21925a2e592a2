"""SchedulerFunction: every minute, enqueue the checks due within it (nothing when none is), and
re-evaluate systems whose satellites went silent."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.observability import logger, metrics
from shared.services.context import default_collaborators
from shared.services.satellite_ingest import sweep_offline_satellites
from shared.services.scheduling import enqueue_due


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    collaborators = default_collaborators()
    report = enqueue_due(collaborators)
    silent = sweep_offline_satellites(collaborators)
    metrics.add_metric(name="RunsEnqueued", unit="Count", value=report.enqueued)
    logger.info(
        "scheduler tick",
        due=report.due,
        enqueued=report.enqueued,
        skipped=report.skipped,
        systems_with_silent_satellites=len(silent),
    )
    return {
        "due": report.due,
        "enqueued": report.enqueued,
        "skipped": report.skipped,
        "reevaluatedSystems": silent,
    }
