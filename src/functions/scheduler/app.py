"""SchedulerFunction: every minute, hand each shard holding a scheduled check to a shard worker
through the scheduler queue (functions/scheduler_shard); empty shards are skipped. Without a
scheduler queue it runs the tick itself."""

from datetime import datetime

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import aws
from shared.domain.models import parse_timestamp
from shared.observability import logger, metrics
from shared.queue import ShardQueue
from shared.services.context import default_collaborators
from shared.services.scheduling import enqueue_due
from shared.services.tick_dispatch import dispatch_tick


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    collaborators = default_collaborators()
    lag = _lag_seconds(event, collaborators.clock())
    if lag is not None:
        metrics.add_metric(name="SchedulerLagSeconds", unit="Seconds", value=lag)
    queue_url = collaborators.settings.scheduler_queue_url
    if queue_url:
        dispatched = dispatch_tick(collaborators, ShardQueue(aws.sqs(), queue_url))
        metrics.add_metric(name="SchedulerShardsDispatched", unit="Count", value=dispatched)
        metrics.add_metric(name="SchedulerTickCompleted", unit="Count", value=1)
        logger.info("scheduler tick dispatched", shards=dispatched)
        return {"shardsDispatched": dispatched}
    report = enqueue_due(collaborators, time_left=lambda: context.get_remaining_time_in_millis() / 1000)
    metrics.add_metric(name="RunsEnqueued", unit="Count", value=report.enqueued)
    metrics.add_metric(name="RunsDeferred", unit="Count", value=report.deferred)
    metrics.add_metric(name="SchedulerTickCompleted", unit="Count", value=1)
    logger.info("scheduler tick", due=report.due, enqueued=report.enqueued, skipped=report.skipped)
    return {
        "due": report.due,
        "enqueued": report.enqueued,
        "skipped": report.skipped,
        "deferred": report.deferred,
    }


def _lag_seconds(event: dict, started: datetime) -> float | None:
    """How long after its scheduled time (the event's `time`) the tick started; None when unknown."""
    try:
        return max(0.0, (started - parse_timestamp(event["time"])).total_seconds())
    except (KeyError, TypeError, AttributeError, ValueError):
        return None
