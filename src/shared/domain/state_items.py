"""State items as the store keeps them (`<Noun>Item`): a system's precomputed health (STATE) and each
check's slices (SLICE#). Attribute names are those already in the table (camelCase), so older items
still load; numbers come back from DynamoDB as Decimal and are read as ints."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from shared.domain.catalog_items import StoredItem
from shared.domain.health import SliceState
from shared.domain.health_views import SystemHealthView
from shared.domain.wire import HealthStatus


class TimelineEntry(StoredItem):
    """Where a check's availability timeline stands (domain/check_timeline.py): the status it is in
    and the time of the check's newest run."""

    status: HealthStatus = "unknown"
    last_run_at: str | None = None


class CheckStateItem(StoredItem):
    """One check's item: the slice of each source that ran it, its timeline, and what it keeps for
    others across runs (`rolledThrough`: the last day rolled up, services/rollup.py;
    `outboxSweptAt`: when a run last read the system's outbox, services/recording.py). Every run
    writes it conditionally on `version`."""

    system_id: str
    configuration_id: str
    version: int
    slices: dict[str, SliceState] = Field(default_factory=dict)
    timeline: TimelineEntry | None = None
    rolled_through: str | None = None
    outbox_swept_at: str | None = None

    def slices_of(self, sources: set[str] | frozenset[str]) -> tuple[SliceState, ...]:
        """The slices of these sources, by source id."""
        return tuple(self.slices[s] for s in sorted(self.slices) if s in sources)

    def to_item(self) -> dict[str, Any]:
        """The stored attributes; unset ones (no timeline yet, never rolled up) left out."""
        return self.model_dump(by_alias=True, exclude_none=True)


class SystemStateItem(StoredItem):
    """A system's precomputed health: its view (SystemHealth of API.md), the status and since it
    shows, and the version of every check item it was built from (`checkVersions`). Written
    conditionally on `version`, so one writer wins each change."""

    system_id: str
    version: int
    status: HealthStatus
    since: str
    check_versions: dict[str, int] = Field(default_factory=dict)
    view: SystemHealthView

    def reflects(self, check_versions: dict[str, int]) -> bool:
        """Its view was built from these check items or newer ones."""
        return bool(check_versions) and all(
            self.check_versions.get(k, 0) >= v for k, v in check_versions.items()
        )
