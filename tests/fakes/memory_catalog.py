"""The catalog port (systems, configurations, assignments, maintenance) in memory.

Behaves as `shared.data.catalog.CatalogStore` does on DynamoDB: creates refuse a taken id, updates
are compare-and-set on `version`, deletes cascade to assignments and leave a history tombstone.
tests/integration/test_store_contract.py holds both to one contract.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from shared.data.schedule import schedule_attributes
from shared.domain.catalog_items import (
    AssignmentItem,
    ConfigurationCheck,
    ConfigurationItem,
    MaintenanceItem,
    SystemItem,
    assignment_item,
)
from shared.domain.errors import ConflictError, NotFoundError, ValidationFailedError, VersionMismatchError
from shared.domain.records import Page
from shared.domain.snapshots import SystemSnapshot
from shared.domain.state_items import CheckStateItem, SystemStateItem
from shared.settings import DEFAULT_DUE_SHARDS
from tests.fakes.memory_pages import page_of


class MemoryCatalog:
    """A part of MemoryStore, which holds the dictionaries and the outbox."""

    systems: dict[str, dict]
    states: dict[str, dict]
    check_states: dict[tuple[str, str], dict]
    configurations: dict[str, dict]
    assignments: dict[tuple[str, str], dict]
    maintenances: dict[tuple[str, str], dict]
    satellites: dict[str, dict]
    tombstone_items: dict[str, dict]
    schedule_index: dict[tuple[str, str], dict]
    heartbeats: dict[tuple[str, str], dict]
    ping_tokens: dict[str, dict]
    outbox_of: Callable[[str], list]
    _deadline_of: Callable[[tuple[str, str]], dict]

    # --- systems -------------------------------------------------------------------------

    def create_system(self, system: SystemItem, initial_state: SystemStateItem) -> SystemItem:
        if system.id in self.systems:
            raise ConflictError(f"system {system.id} already exists")
        self.systems[system.id] = system.to_item()
        self.states[system.id] = initial_state.to_item()
        return system

    def get_system(self, system_id: str) -> SystemItem:
        if system_id not in self.systems:
            raise NotFoundError(f"system {system_id} not found")
        return SystemItem.model_validate(self.systems[system_id])

    def list_systems(self, *, limit: int, cursor: str | None) -> Page[SystemItem]:
        page = page_of(self.systems, limit=limit, cursor=cursor)
        return Page([SystemItem.model_validate(item) for item in page.items], page.next_cursor)

    def update_system(
        self, system_id: str, changes: dict, *, expected_version: int | None, now: str
    ) -> SystemItem:
        label = f"system {system_id}"
        updated = _update_versioned(self.systems, system_id, label, changes, expected_version, now)
        return SystemItem.model_validate(updated)

    def delete_system(self, system_id: str, *, deleted_at: str) -> list[AssignmentItem]:
        self.get_system(system_id)
        del self.systems[system_id]
        self.states.pop(system_id, None)
        doomed = sorted(key for key in self.assignments if key[0] == system_id)
        assignments = [self._unassign(key) for key in doomed]
        for key in [key for key in self.maintenances if key[0] == system_id]:
            del self.maintenances[key]
        self.tombstone_items[f"SYSTEM#{system_id}#{deleted_at}"] = {
            "kind": "system",
            "systemId": system_id,
            "configurationIds": [a.configuration_id for a in assignments],
            "deletedAt": deleted_at,
        }
        return assignments

    # --- configurations ------------------------------------------------------------------

    def create_configuration(self, configuration: ConfigurationItem) -> ConfigurationItem:
        if configuration.id in self.configurations:
            raise ConflictError(f"configuration {configuration.id} already exists")
        self.configurations[configuration.id] = configuration.to_item()
        return configuration

    def get_configuration(self, configuration_id: str) -> ConfigurationItem:
        if configuration_id not in self.configurations:
            raise NotFoundError(f"configuration {configuration_id} not found")
        return ConfigurationItem.model_validate(self.configurations[configuration_id])

    def get_configurations(self, configuration_ids: list[str]) -> dict[str, ConfigurationItem]:
        known = [c for c in configuration_ids if c in self.configurations]
        return {c: ConfigurationItem.model_validate(self.configurations[c]) for c in known}

    def list_configurations(self, *, limit: int, cursor: str | None) -> Page[ConfigurationItem]:
        page = page_of(self.configurations, limit=limit, cursor=cursor)
        return Page([ConfigurationItem.model_validate(item) for item in page.items], page.next_cursor)

    def update_configuration(
        self,
        configuration_id: str,
        changes: dict,
        *,
        expected_version: int | None,
        now: str,
        now_epoch: int,
        check: ConfigurationCheck | None = None,
        due_shards: int = DEFAULT_DUE_SHARDS,
    ) -> tuple[ConfigurationItem, list[str]]:
        label = f"configuration {configuration_id}"
        judged = None if check is None else _judged_by(check)
        updated = _update_versioned(
            self.configurations, configuration_id, label, changes, expected_version, now, judged
        )
        system_ids = []
        for (system_id, assigned), assignment in sorted(self.assignments.items()):
            if assigned == configuration_id:
                system_ids.append(system_id)
                before = copy.deepcopy(assignment)
                assignment |= {
                    "configurationName": updated["name"],
                    "strategyId": updated["strategyId"],
                    "configurationPaused": updated["paused"],
                    "intervalSeconds": updated["intervalSeconds"],
                }
                self._reindex((system_id, assigned), assignment, before, now_epoch, due_shards)
        return ConfigurationItem.model_validate(updated), system_ids

    def delete_configuration(self, configuration_id: str, *, deleted_at: str) -> list[AssignmentItem]:
        self.get_configuration(configuration_id)
        del self.configurations[configuration_id]
        doomed = sorted(key for key in self.assignments if key[1] == configuration_id)
        return [self.delete_assignment(*key, deleted_at=deleted_at) for key in doomed]

    # --- assignments ---------------------------------------------------------------------

    def get_assignment(self, system_id: str, configuration_id: str) -> AssignmentItem:
        if (system_id, configuration_id) not in self.assignments:
            raise NotFoundError(f"check {configuration_id} is not assigned to system {system_id}")
        return AssignmentItem.model_validate(self.assignments[(system_id, configuration_id)])

    def put_assignment(
        self,
        system_id: str,
        configuration_id: str,
        settings: dict,
        *,
        expected_version,
        now,
        now_epoch,
        due_shards: int = DEFAULT_DUE_SHARDS,
    ) -> tuple[AssignmentItem, bool]:
        configuration = self.get_configuration(configuration_id)
        self.get_system(system_id)
        existing = self.assignments.get((system_id, configuration_id))
        if expected_version is not None and (existing is None or existing["version"] != expected_version):
            raise VersionMismatchError("the assignment changed since you read it")
        satellite_ids = settings["satelliteIds"]
        missing = [s for s in satellite_ids if s not in self.satellites]
        if missing:
            raise ValidationFailedError(
                "unknown satellite",
                [
                    {"field": f"body.satelliteIds.{satellite_ids.index(s)}", "message": f"no satellite {s}"}
                    for s in missing
                ],
            )
        previous = None if existing is None else AssignmentItem.model_validate(existing)
        since = None if existing else self._history_since(system_id, configuration_id)
        assignment = assignment_item(
            system_id, configuration, copy.deepcopy(settings), previous, now, history_since=since
        )
        self.assignments[(system_id, configuration_id)] = assignment.to_item()
        self._reindex((system_id, configuration_id), assignment.to_item(), existing, now_epoch, due_shards)
        return assignment, existing is None

    def _reindex(
        self, pair: tuple[str, str], assignment: dict, before: dict | None, now_epoch: int, due_shards: int
    ) -> None:
        """The index attributes the repository would write with the item (data/schedule.py)."""
        existing = None if before is None else before | self.schedule_index.get(pair, {})
        attributes = schedule_attributes(
            AssignmentItem.model_validate(assignment), existing, now_epoch=now_epoch, due_shards=due_shards
        )
        if attributes:
            self.schedule_index[pair] = attributes
        else:
            self.schedule_index.pop(pair, None)

    def delete_assignment(self, system_id: str, configuration_id: str, *, deleted_at: str) -> AssignmentItem:
        self.get_assignment(system_id, configuration_id)
        self.tombstone_items[f"CHECK#{system_id}#{configuration_id}#{deleted_at}"] = {
            "kind": "check",
            "systemId": system_id,
            "configurationIds": [configuration_id],
            "deletedAt": deleted_at,
        }
        return self._unassign((system_id, configuration_id))

    def _history_since(self, system_id: str, configuration_id: str) -> str | None:
        """As the repository: a re-created assignment's history starts at its latest deletion."""
        prefixes = (f"CHECK#{system_id}#{configuration_id}#", f"SYSTEM#{system_id}#")
        deletions = [t["deletedAt"] for sk, t in self.tombstone_items.items() if sk.startswith(prefixes)]
        return max(deletions, default=None)

    def _unassign(self, pair: tuple[str, str]) -> AssignmentItem:
        """Drop an assignment with its schedule, heartbeat state, ping token and check item."""
        self.schedule_index.pop(pair, None)
        self.check_states.pop(pair, None)
        heartbeat = self.heartbeats.pop(pair, None) or {}
        self.ping_tokens.pop(heartbeat.get("tokenHash", ""), None)
        return AssignmentItem.model_validate(self.assignments.pop(pair))

    def list_assignments_page(self, *, limit: int, cursor: str | None) -> Page[AssignmentItem]:
        by_id = {f"{s}#{c}": a for (s, c), a in self.assignments.items()}
        page = page_of(by_id, limit=limit, cursor=cursor)
        return Page([AssignmentItem.model_validate(item) for item in page.items], page.next_cursor)

    def get_assignments(self, pairs: list[tuple[str, str]]) -> list[AssignmentItem]:
        return [
            AssignmentItem.model_validate(self.assignments[p] | self._deadline_of(p))
            for p in dict.fromkeys(pairs)
            if p in self.assignments
        ]

    def system_snapshot(self, system_id: str) -> SystemSnapshot:
        state = self.states.get(system_id)
        system = self.systems.get(system_id)
        return copy.deepcopy(
            SystemSnapshot(
                system=SystemItem.model_validate(system) if system else None,
                state=SystemStateItem.model_validate(state) if state else None,
                assignments=[
                    AssignmentItem.model_validate(a)
                    for (s, _), a in sorted(self.assignments.items())
                    if s == system_id
                ],
                check_states={
                    c: CheckStateItem.model_validate(i)
                    for (s, c), i in sorted(self.check_states.items())
                    if s == system_id
                },
                maintenances=[
                    MaintenanceItem.model_validate(m)
                    for (s, _), m in sorted(self.maintenances.items())
                    if s == system_id
                ],
                outbox=self.outbox_of(system_id),
            )
        )

    # --- maintenance ---------------------------------------------------------------------

    def create_maintenance(self, maintenance: MaintenanceItem) -> MaintenanceItem:
        key = (maintenance.system_id, maintenance.id)
        if maintenance.system_id not in self.systems:
            raise NotFoundError(f"system {maintenance.system_id} not found")
        if key in self.maintenances:
            raise ConflictError("maintenance already exists")
        self.maintenances[key] = maintenance.to_item()
        return maintenance

    def delete_maintenance(self, system_id: str, maintenance_id: str) -> None:
        if self.maintenances.pop((system_id, maintenance_id), None) is None:
            raise NotFoundError(f"maintenance {maintenance_id} not found")


def _update_versioned(
    items: dict[str, dict],
    item_id: str,
    label: str,
    changes: dict,
    expected_version: int | None,
    now: str,
    check: Callable[[dict, dict], dict] | None = None,
) -> dict:
    current = items.get(item_id)
    if current is None:
        raise NotFoundError(f"{label} not found")
    if expected_version is not None and current["version"] != expected_version:
        raise VersionMismatchError(f"{label} is at version {current['version']}")
    merged = copy.deepcopy(current) | copy.deepcopy(changes)
    if check is not None:
        merged = check(merged, copy.deepcopy(current))
    items[item_id] = merged | {"updatedAt": now, "version": current["version"] + 1}
    return copy.deepcopy(items[item_id])


def _judged_by(check: ConfigurationCheck) -> Callable[[dict, dict], dict]:
    """As the repository: the typed rule judges an attempt's merged and stored items."""

    def judged(merged: dict, current: dict) -> dict:
        typed = ConfigurationItem.model_validate
        return merged | check(typed(merged), typed(current)).to_item()

    return judged
