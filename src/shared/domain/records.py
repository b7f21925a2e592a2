"""What the services hand the store and get back when they record history, and the store's answers
they act on. Plain data, no I/O: the repository implements the ports with them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel

from shared.domain import aggregates
from shared.domain.history_items import CheckTransitionItem, RunItem
from shared.domain.state_items import CheckStateItem

Tier = Literal["hourly", "daily"]
# Items expire by TTL this long after their retention: the daily retention pass moves the expiry of a
# lengthened retention before TTL can take anything, and reads ignore what lies past the retention.
TTL_SLACK_DAYS = 2


def expiry_epoch(moment: datetime, retention_days: int) -> int:
    """The TTL attribute of an item of `moment` kept `retention_days` (plus the slack)."""
    return int((moment + timedelta(days=retention_days + TTL_SLACK_DAYS)).timestamp())


T = TypeVar("T")


class DuplicateRunError(Exception):
    """The run was recorded before (its run item exists)."""

    def __init__(self) -> None:
        super().__init__("run already recorded")


class StateVersionConflict(Exception):
    """Another writer changed the system state, or the check state, since it was read."""


class CheckpointMovedError(Exception):
    """Another invocation of the same sweep saved the checkpoint since we read it."""


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None

    def validated(self, model: type[BaseModel]) -> dict:
        """The page as `{items, next_cursor}`, each item validated into `model` (a view)."""
        return {"items": [model.model_validate(item) for item in self.items], "next_cursor": self.next_cursor}


@dataclass
class AggregateIncrement:
    tier: Tier
    start: str
    source_id: str
    increments: dict[str, int | float]
    expires_at: int


@dataclass
class RunCommit:
    """One run's writes: never the system state, so runs of different checks never conflict. The run
    item, written only if absent, is the run's idempotency marker."""

    run: RunItem
    check_state: CheckStateItem
    expected_check_version: int | None
    aggregates: list[AggregateIncrement] = field(default_factory=list)
    outbox: OutboxEntry | None = None
    check_transitions: list[CheckTransitionItem] = field(default_factory=list)
    stale_days: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OutboxEntry:
    """Events committed with the change that caused them, deleted once published. Until `held_until`
    the writer that committed them owns them; after it, anyone may publish them."""

    system_id: str
    entry_id: str
    owner: str
    events: list[dict]
    held_until: str
    expires_at: int


def run_aggregates(
    moment: datetime,
    source_id: str,
    status: str,
    latency_ms: float | None,
    retention: dict,
    *,
    rolled_through: str | None = None,
) -> list[AggregateIncrement]:
    """The counters one run adds, each expiring with its tier's retention: its hour's, and its day's
    only when that day was already rolled up (`rolled_through`, the check item's last rolled day;
    services/rollup.py makes every other daily item from complete days of hourly ones)."""
    increments = aggregates.run_increments(status, latency_ms)
    tiers = [("hourly", aggregates.hour_key(moment), "hourlyDays")]
    if is_rolled(aggregates.day_key(moment), rolled_through):
        tiers.append(("daily", aggregates.day_key(moment), "dailyDays"))
    return [
        AggregateIncrement(tier, start, source_id, dict(increments), expiry_epoch(moment, retention[days]))
        for tier, start, days in tiers
    ]


def is_rolled(day: str, rolled_through: str | None) -> bool:
    """The day (a bucket key) is already in the daily tier (rolled up through `rolled_through`)."""
    return rolled_through is not None and day <= rolled_through
