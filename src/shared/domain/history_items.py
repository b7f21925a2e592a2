"""History items as the store keeps them (`<Noun>Item`): what the services hand the history store and
get back. Attribute names are those already in the table (camelCase), so older items still load."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from shared.domain import aggregates
from shared.domain.catalog_items import StoredItem
from shared.domain.wire import LOCAL_SOURCE_ID, LOCAL_SOURCE_LABEL, HealthStatus, RunStatus


class RunItem(StoredItem):
    """One run of a check from one source, filed under `filed_at` when its request fixed that time
    (so a redelivery finds it), else under `timestamp`; it expires with the raw tier's retention."""

    run_id: str
    system_id: str
    configuration_id: str
    source_id: str = LOCAL_SOURCE_ID
    source_label: str = LOCAL_SOURCE_LABEL
    status: RunStatus
    latency_ms: int | float | None = None
    result: dict[str, Any] = Field(default_factory=dict)
    assertions: list[dict[str, Any]] = Field(default_factory=list)
    error: dict[str, Any] | None = None
    timestamp: str
    expires_at: int | None = None
    filed_at: str | None = None

    def to_item(self) -> dict[str, Any]:
        """The stored attributes: those it was given (an item read back writes what it had), and
        `expiresAt` and `filedAt` only when set."""
        absent = {name for name in ("expires_at", "filed_at") if getattr(self, name) is None}
        return self.model_dump(by_alias=True, exclude=absent, exclude_unset=True)


class TransitionItem(StoredItem):
    """A change of a system's evaluated status, at the moment of the evaluation that made it."""

    system_id: str
    previous_status: HealthStatus
    new_status: HealthStatus
    at: str
    suppressed: bool = False


class AggregateItem(StoredItem):
    """An hourly or daily aggregate of one check's runs from one source: the counters runs add with
    atomic ADDs and the latency's DDSketch bins, each bin its own attribute (domain/aggregates.py)."""

    start: str
    source_id: str
    expires_at: int | None = None
    run_count: int = 0
    healthy_count: int = 0
    degraded_count: int = 0
    unhealthy_count: int = 0
    latency_count: int = 0
    latency_sum_ms: float = 0.0
    bins: dict[str, int] = Field(default_factory=dict, exclude=True)

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> AggregateItem:
        """The item of stored attributes (bins as top-level counters)."""
        return cls.model_validate({**item, "bins": aggregates.latency_bins(item)})

    @classmethod
    def of_counters(
        cls, start: str, source_id: str, counters: Mapping[str, int | float], expires_at: int | None
    ) -> AggregateItem:
        """An item holding merged counters (`aggregates.merge_items`)."""
        return cls.from_item({**counters, "start": start, "sourceId": source_id, "expiresAt": expires_at})

    def counters(self) -> dict[str, int | float]:
        """Its counters, sums and bins as `aggregates` reads them; zeros left out, as runs' ADDs do."""
        named = {
            "runCount": self.run_count,
            "healthyCount": self.healthy_count,
            "degradedCount": self.degraded_count,
            "unhealthyCount": self.unhealthy_count,
            "latencyCount": self.latency_count,
            "latencySumMs": self.latency_sum_ms,
        }
        return {k: v for k, v in named.items() if v} | self.bins

    def to_item(self) -> dict[str, Any]:
        """The stored attributes: start, source, expiry and the non-zero counters and bins."""
        head = {"start": self.start, "sourceId": self.source_id}
        if self.expires_at is not None:
            head["expiresAt"] = self.expires_at
        return head | self.counters()


class CheckTransitionItem(StoredItem):
    """A change of one check's evaluated status, at the time of the run (or re-evaluation) that made
    it. `check_version`, the version of the check item that made it, is its key's tiebreak: it is
    written in the key, not as an attribute, so an item read back has none."""

    system_id: str
    configuration_id: str
    previous_status: HealthStatus
    new_status: HealthStatus
    at: str
    check_version: int | None = Field(default=None, exclude=True)
