"""History items as the store keeps them (`<Noun>Item`): what the services hand the history store and
get back. Attribute names are those already in the table (camelCase), so older items still load."""

from __future__ import annotations

from shared.domain.catalog_items import StoredItem
from shared.domain.wire import HealthStatus


class TransitionItem(StoredItem):
    """A change of a system's evaluated status, at the moment of the evaluation that made it."""

    system_id: str
    previous_status: HealthStatus
    new_status: HealthStatus
    at: str
    suppressed: bool = False
