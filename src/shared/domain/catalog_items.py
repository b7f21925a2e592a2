"""Catalog items as the store keeps them (`<Noun>Item`): what the services hand the store and get back.

They keep the wire's camelCase names in the table; answers (`<Noun>View`) are built from them by the
services and shaped for the wire by the HTTP layer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import Field

from shared.domain.wire import WireModel


class StoredItem(WireModel):
    def to_item(self) -> dict[str, Any]:
        """The attributes the store writes (camelCase, JSON types)."""
        return self.model_dump(mode="json", by_alias=True)


class SystemItem(StoredItem):
    """A system: what it is called, what it depends on, its version for compare-and-set."""

    id: str
    name: str
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    depends_on: list[str] = Field(default_factory=list)
    created_at: str
    updated_at: str
    version: int


class ConfigurationItem(StoredItem):
    """A check configuration: its strategy and config (secret fields sealed, domain/secret_fields.py),
    when and how long it runs, whether it is paused, its version for compare-and-set."""

    id: str
    name: str
    strategy_id: str
    config: dict[str, Any] = Field(default_factory=dict)
    interval_seconds: int
    timeout_seconds: int
    assertions: list[dict[str, Any]] = Field(default_factory=list)
    paused: bool = False
    created_at: str
    updated_at: str
    version: int


# A configuration's cross-field rules: judge the merged item of an update attempt against the stored
# one, and return it (perhaps normalised) to be written.
ConfigurationCheck = Callable[[ConfigurationItem, ConfigurationItem], ConfigurationItem]


class AssignmentItem(StoredItem):
    """A configuration checked on a system: its settings (API.md's assignment body, as stored), what it
    copies of its configuration, the retention its stored history follows (`stored_retention`, absent
    from items older than it), where its history starts, its version for compare-and-set.

    `next_due_at`, a heartbeat's deadline in the scheduler's index, is read by `get_assignments` only
    and never written with the item: the schedule store moves it."""

    system_id: str
    configuration_id: str
    configuration_name: str
    strategy_id: str
    configuration_paused: bool = False
    interval_seconds: int
    enabled: bool = True
    state_thresholds: dict[str, Any]
    satellite_ids: list[str] = Field(default_factory=list)
    include_local: bool = True
    quorum: dict[str, Any] = Field(default_factory=lambda: {"mode": "any"})
    retention: dict[str, int]
    created_at: str
    stored_retention: dict[str, int] | None = None
    history_floors: dict[str, str] | None = None
    history_since: str | None = None
    updated_at: str
    version: int
    next_due_at: int | None = Field(default=None, exclude=True)

    def to_item(self) -> dict[str, Any]:
        """The stored attributes; the retention record and history start only when set."""
        optional = ("stored_retention", "history_floors", "history_since")
        return self.model_dump(
            mode="json", by_alias=True, exclude={name for name in optional if getattr(self, name) is None}
        )


def assignment_item(
    system_id: str,
    configuration: ConfigurationItem,
    settings: dict[str, Any],
    existing: AssignmentItem | None,
    now: str,
    *,
    history_since: str | None = None,
) -> AssignmentItem:
    """The assignment as stored after a put: `settings` (stored names), what it copies of its
    configuration, its version; a new one starts its history at `history_since` (the latest deletion
    of a predecessor), a replaced one keeps its own."""
    return AssignmentItem.model_validate(
        {
            **settings,
            "systemId": system_id,
            "configurationId": configuration.id,
            "configurationName": configuration.name,
            "strategyId": configuration.strategy_id,
            "configurationPaused": configuration.paused,
            "intervalSeconds": configuration.interval_seconds,
            "createdAt": existing.created_at if existing else now,
            # what the stored items' TTLs follow until the retention pass moves them (services/retention.py)
            "storedRetention": (existing.stored_retention or existing.retention)
            if existing
            else settings["retention"],
            "historyFloors": existing.history_floors if existing else None,
            "historySince": existing.history_since if existing else history_since,
            "updatedAt": now,
            "version": existing.version + 1 if existing else 1,
        }
    )


class MaintenanceItem(StoredItem):
    """A maintenance window of a system."""

    id: str
    system_id: str
    title: str
    starts_at: str
    ends_at: str
    suppress_notifications: bool = True
    created_at: str

    def suppresses(self, at: str) -> bool:
        """Notifications at `at` are held back by this window."""
        return self.suppress_notifications and self.starts_at <= at < self.ends_at
