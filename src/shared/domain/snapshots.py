"""What the store reads in one go for recording and evaluation: a run's context (`run_context`), a
system's partition (`system_snapshot`) and the checks a satellite request names (`check_reads`): the
typed items the store keeps (catalog_items, state_items).
Frozen: a service that evaluates a changed snapshot makes a new one (`dataclasses.replace`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.domain.catalog_items import AssignmentItem, ConfigurationItem, MaintenanceItem, SystemItem
from shared.domain.records import OutboxEntry
from shared.domain.state_items import CheckStateItem, SystemStateItem


@dataclass(frozen=True)
class RunContext:
    """The system, the assignment and the check's item a run is recorded against (None when absent),
    and the system's outbox entries when asked for."""

    system: SystemItem | None
    assignment: AssignmentItem | None
    check_state: CheckStateItem | None
    outbox: list[OutboxEntry] = field(default_factory=list)


@dataclass(frozen=True)
class SystemSnapshot:
    """A system's partition: its item, state, assignments, check items by configuration id,
    maintenance windows and outbox entries."""

    system: SystemItem | None
    state: SystemStateItem | None = None
    assignments: list[AssignmentItem] = field(default_factory=list)
    check_states: dict[str, CheckStateItem] = field(default_factory=dict)
    maintenances: list[MaintenanceItem] = field(default_factory=list)
    outbox: list[OutboxEntry] = field(default_factory=list)


@dataclass(frozen=True)
class RunKey:
    """Where a run's item is filed (its idempotency marker): the parts of `RunItem`'s key."""

    system_id: str
    configuration_id: str
    filed_at: str
    run_id: str


@dataclass(frozen=True)
class CheckReads:
    """The assignments of some (system, configuration) pairs by pair and their configurations by id;
    for recording also their systems' items and state items by system id, their check items by pair,
    and which of some runs were recorded."""

    assignments: dict[tuple[str, str], AssignmentItem] = field(default_factory=dict)
    configurations: dict[str, ConfigurationItem] = field(default_factory=dict)
    systems: dict[str, SystemItem] = field(default_factory=dict)
    states: dict[str, SystemStateItem] = field(default_factory=dict)
    check_states: dict[tuple[str, str], CheckStateItem] = field(default_factory=dict)
    known_run_ids: set[str] = field(default_factory=set)

    def snapshot_of(self, system_id: str) -> SystemSnapshot:
        """The part of a system's snapshot these reads hold: its item, its state, the named checks'
        assignments and items (no other check, no maintenance window, no outbox entry)."""
        return SystemSnapshot(
            system=self.systems.get(system_id),
            state=self.states.get(system_id),
            assignments=[a for (s, _), a in self.assignments.items() if s == system_id],
            check_states={c: item for (s, c), item in self.check_states.items() if s == system_id},
        )
