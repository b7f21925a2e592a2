"""The one repository of the single table. Services receive it; nothing else talks to DynamoDB."""

from shared.data.access import AccessStore
from shared.data.availability import AvailabilityStore
from shared.data.catalog import CatalogStore
from shared.data.check_reads import CheckReadStore
from shared.data.heartbeats import HeartbeatStore
from shared.data.history import HistoryStore
from shared.data.outbox import OutboxStore
from shared.data.retention import RetentionStore
from shared.data.rollup import RollupStore
from shared.data.status_pages import StatusPageStore


class Repository(
    CatalogStore,
    CheckReadStore,
    AccessStore,
    HistoryStore,
    RetentionStore,
    RollupStore,
    OutboxStore,
    HeartbeatStore,
    StatusPageStore,
    AvailabilityStore,
):
    """Systems, configurations, assignments, maintenance, credentials, runs, health state, outbox,
    heartbeats and status pages."""
