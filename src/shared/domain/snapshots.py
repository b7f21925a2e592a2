"""What the store reads in one go for recording and evaluation: a run's context (`run_context`) and a
system's partition (`system_snapshot`). Plain dicts at run time; the state parts are typed items."""

from __future__ import annotations

from typing import Any, TypedDict

from shared.domain.records import OutboxEntry
from shared.domain.state_items import CheckStateItem, SystemStateItem


class RunContext(TypedDict):
    """The system, the assignment and the check's item a run is recorded against (None when absent),
    and the system's outbox entries when asked for."""

    system: dict[str, Any] | None
    assignment: dict[str, Any] | None
    check_state: CheckStateItem | None
    outbox: list[OutboxEntry]


class SystemSnapshot(TypedDict):
    """A system's partition: its item, state, assignments, check items by configuration id,
    maintenance windows and outbox entries."""

    system: dict[str, Any] | None
    state: SystemStateItem | None
    assignments: list[dict[str, Any]]
    check_states: dict[str, CheckStateItem]
    maintenances: list[dict[str, Any]]
    outbox: list[OutboxEntry]
