"""What the store reads in one go for recording and evaluation: a run's context (`run_context`) and a
system's partition (`system_snapshot`): the typed items the store keeps (catalog_items, state_items)."""

from __future__ import annotations

from typing import TypedDict

from shared.domain.catalog_items import AssignmentItem, MaintenanceItem, SystemItem
from shared.domain.records import OutboxEntry
from shared.domain.state_items import CheckStateItem, SystemStateItem


class RunContext(TypedDict):
    """The system, the assignment and the check's item a run is recorded against (None when absent),
    and the system's outbox entries when asked for."""

    system: SystemItem | None
    assignment: AssignmentItem | None
    check_state: CheckStateItem | None
    outbox: list[OutboxEntry]


class SystemSnapshot(TypedDict):
    """A system's partition: its item, state, assignments, check items by configuration id,
    maintenance windows and outbox entries."""

    system: SystemItem | None
    state: SystemStateItem | None
    assignments: list[AssignmentItem]
    check_states: dict[str, CheckStateItem]
    maintenances: list[MaintenanceItem]
    outbox: list[OutboxEntry]
