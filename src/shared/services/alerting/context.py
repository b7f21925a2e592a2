"""The collaborators of the alerting services, built once per process; tests pass fakes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from shared.clock import Clock, utc_now
from shared.services.alerting.ports import (
    AlertingStore,
    ChannelSender,
    DeliveryQueue,
    SystemDirectory,
    WakeupScheduler,
)
from shared.services.ports import Encryptor

MAX_DELIVERY_ATTEMPTS = 5


@dataclass
class Alerting:
    store: AlertingStore
    systems: SystemDirectory
    senders: dict[str, ChannelSender]
    queue: DeliveryQueue
    scheduler: WakeupScheduler
    encryptor: Encryptor
    clock: Clock = utc_now
    allow_private_targets: bool = False
    max_delivery_attempts: int = MAX_DELIVERY_ATTEMPTS
    link_base: str = ""
    queue_url: str = ""


@lru_cache(maxsize=1)
def default_alerting() -> Alerting:
    """The process-wide alerting collaborators built from settings (the composition root)."""
    from shared import aws
    from shared.data.alerting import AlertingStore as DynamoAlertingStore
    from shared.data.repository import Repository
    from shared.notify.adapters import RepositorySystems, SchedulerWakeups, SqsDeliveryQueue
    from shared.notify.senders import default_senders
    from shared.secrets import default_encryptor
    from shared.settings import get_settings

    settings = get_settings()
    return Alerting(
        store=DynamoAlertingStore(aws.dynamodb(), settings.table_name),
        systems=RepositorySystems(Repository(aws.dynamodb(), settings.table_name)),
        senders=default_senders(allow_private_targets=settings.allow_private_targets),
        queue=SqsDeliveryQueue(aws.sqs(), settings.notifications_queue_url),
        scheduler=SchedulerWakeups(
            aws.client("scheduler"),
            target_arn=settings.notifications_queue_arn,
            role_arn=settings.scheduler_role_arn,
            group=settings.alert_schedule_group,
        ),
        encryptor=default_encryptor(),
        allow_private_targets=settings.allow_private_targets,
        max_delivery_attempts=settings.alert_delivery_attempts,
        link_base=settings.public_url,
        queue_url=settings.notifications_queue_url,
    )


def reset_alerting() -> None:
    """Forget the process-wide alerting collaborators (tests and the local runtime rebuild them)."""
    default_alerting.cache_clear()
