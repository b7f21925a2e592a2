"""SchedulerShardFunction: one shard for one tick, from the scheduler queue: the runs of its checks'
slots up to the end of the tick are sent, then its checkpoint moves on; out of time, it stays."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.observability import logger, metrics
from shared.services.context import default_collaborators
from shared.services.tick_dispatch import run_shard_requests


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    bodies = [record.get("body", "") for record in event.get("Records", [])]
    report = run_shard_requests(
        default_collaborators(), bodies, time_left=lambda: context.get_remaining_time_in_millis() / 1000
    )
    metrics.add_metric(name="RunsEnqueued", unit="Count", value=report.enqueued)
    metrics.add_metric(name="RunsDeferred", unit="Count", value=report.deferred)
    logger.info(
        "scheduler shards done",
        due=report.due,
        enqueued=report.enqueued,
        skipped=report.skipped,
        deferred=report.deferred,
    )
    return {
        "due": report.due,
        "enqueued": report.enqueued,
        "skipped": report.skipped,
        "deferred": report.deferred,
    }
