"""The collaborators a service needs, built once per process from settings and reusable
across warm invocations. Tests build their own `Collaborators` with fakes."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from shared import aws
from shared.clock import utc_now
from shared.events import EventBridgePublisher
from shared.retry import CONFLICTS, RetryPolicy
from shared.secrets import default_encryptor
from shared.services.ports import (
    Clock,
    Encryptor,
    EventPublisher,
    IncidentsReader,
    RunQueue,
    StatusCache,
    Store,
)
from shared.settings import Settings, get_settings


@dataclass
class Collaborators:
    repository: Store
    cache: StatusCache
    publisher: EventPublisher
    settings: Settings
    clock: Clock = utc_now
    queue: RunQueue | None = None
    conflicts: RetryPolicy = CONFLICTS
    encryptor: Encryptor = field(default_factory=default_encryptor)
    # What status pages show of alerting; None leaves their incidents section out.
    incidents: IncidentsReader | None = None


@lru_cache(maxsize=1)
def default_collaborators() -> Collaborators:
    """The process-wide collaborators built from settings (the composition root)."""
    from shared.cache.factory import build_cache
    from shared.data.alerting import AlertingStore
    from shared.data.repository import Repository
    from shared.queue import ChecksQueue

    settings = get_settings()
    return Collaborators(
        repository=Repository(aws.dynamodb(), settings.table_name),
        cache=build_cache(settings, dynamodb_client_factory=aws.dynamodb),
        publisher=EventBridgePublisher(aws.events(), settings.event_bus_name, run_events=settings.run_events),
        settings=settings,
        queue=ChecksQueue(aws.sqs(), settings.checks_queue_url),
        incidents=AlertingStore(aws.dynamodb(), settings.table_name),
    )


def reset_collaborators() -> None:
    """Forget the process-wide collaborators (tests and the local runtime rebuild them)."""
    default_collaborators.cache_clear()
