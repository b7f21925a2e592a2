"""The one repository of the single table. Services receive it; nothing else talks to DynamoDB."""

from shared.data.access import AccessStore
from shared.data.catalog import CatalogStore
from shared.data.history import HistoryStore


class Repository(CatalogStore, AccessStore, HistoryStore):
    """Systems, configurations, assignments, maintenance, credentials, runs and health state."""
