"""Systems, configurations, assignments and maintenance windows in the single table.

Items keep the wire field names (camelCase). Creates are conditional (no duplicates); updates
are compare-and-set on `version`; cascades follow link items read strongly consistent.
"""

from __future__ import annotations

from collections.abc import Callable

from shared.data import keys
from shared.data.assignments import AssignmentStore
from shared.data.base import TransactionConflict, strip_keys
from shared.data.outbox import outbox_entry
from shared.data.schedule import ASSIGNMENT_PREFIX, SCHEDULE_ATTRIBUTES, schedule_attributes
from shared.data.table import plain_key
from shared.domain.catalog_items import (
    AssignmentItem,
    ConfigurationCheck,
    ConfigurationItem,
    MaintenanceItem,
    SystemItem,
)
from shared.domain.errors import ConflictError, NotFoundError, VersionMismatchError
from shared.domain.records import Page
from shared.domain.snapshots import SystemSnapshot
from shared.domain.state_items import CheckStateItem, SystemStateItem
from shared.settings import DEFAULT_DUE_SHARDS

MAINTENANCE_PREFIX = "MAINT#"


class CatalogStore(AssignmentStore):
    # --- systems -------------------------------------------------------------------------

    def create_system(self, system: SystemItem, initial_state: SystemStateItem) -> SystemItem:
        """Store a new system and its initial health state; a taken id is a ConflictError."""
        item = plain_key(keys.system_key(system.id) | keys.type_index("SYSTEM", system.id)) | system.to_item()
        state = plain_key(keys.system_state_key(system.id)) | initial_state.to_item()
        try:
            self._transact([self.put_op(item, "attribute_not_exists(pk)"), self.put_op(state)])
        except TransactionConflict as conflict:
            raise ConflictError(f"system {system.id} already exists") from conflict
        return system

    def get_system(self, system_id: str) -> SystemItem:
        """One system, or NotFoundError."""
        item = self._get(keys.system_key(system_id))
        if item is None:
            raise NotFoundError(f"system {system_id} not found")
        return SystemItem.model_validate(strip_keys(item))

    def list_systems(self, *, limit: int, cursor: str | None) -> Page[SystemItem]:
        """A page of systems in id order."""
        page = self._list_type("SYSTEM", limit=limit, cursor=cursor)
        return Page([SystemItem.model_validate(strip_keys(i)) for i in page.items], page.next_cursor)

    def update_system(
        self, system_id: str, changes: dict, *, expected_version: int | None, now: str
    ) -> SystemItem:
        """Apply `changes` (stored names) as a compare-and-set on the system's version."""
        updated = self._update_versioned(
            keys.system_key(system_id), f"system {system_id}", changes, expected_version, now
        )
        return SystemItem.model_validate(updated)

    def delete_system(self, system_id: str, *, deleted_at: str) -> list[AssignmentItem]:
        """Delete a system with its assignments, maintenance and links, leaving a tombstone for the
        retention pass; returns the assignments it had."""
        items = self._query_all(keys.system_partition(system_id))
        if not any(i["sk"] == keys.META for i in items):
            raise NotFoundError(f"system {system_id} not found")
        if self._delete(keys.system_key(system_id), condition="attribute_exists(pk)") is None:
            raise NotFoundError(f"system {system_id} not found")
        assignments = [
            AssignmentItem.model_validate(strip_keys(i))
            for i in items
            if i["sk"].startswith(ASSIGNMENT_PREFIX)
        ]
        doomed = [{"pk": {"S": i["pk"]}, "sk": {"S": i["sk"]}} for i in items if i["sk"] != keys.META]
        doomed += [keys.ping_token_key(i["tokenHash"]) for i in items if i.get("tokenHash")]
        for assignment in assignments:
            doomed.append(keys.configuration_link_key(assignment.configuration_id, system_id))
            doomed.extend(
                keys.satellite_link_key(sat, system_id, assignment.configuration_id)
                for sat in assignment.satellite_ids
            )
        tombstone = plain_key(keys.system_tombstone_key(system_id, deleted_at)) | {
            "kind": "system",
            "systemId": system_id,
            "configurationIds": [a.configuration_id for a in assignments],
            "deletedAt": deleted_at,
        }
        self._batch_write(puts=[tombstone], deletes=doomed)
        return assignments

    # --- configurations ------------------------------------------------------------------

    def create_configuration(self, configuration: ConfigurationItem) -> ConfigurationItem:
        """Store a new configuration; a taken id is a ConflictError."""
        item = plain_key(
            keys.configuration_key(configuration.id) | keys.type_index("CONFIG", configuration.id)
        )
        if not self._put(item | configuration.to_item(), condition="attribute_not_exists(pk)"):
            raise ConflictError(f"configuration {configuration.id} already exists")
        return configuration

    def get_configuration(self, configuration_id: str) -> ConfigurationItem:
        """One configuration, or NotFoundError."""
        item = self._get(keys.configuration_key(configuration_id))
        if item is None:
            raise NotFoundError(f"configuration {configuration_id} not found")
        return ConfigurationItem.model_validate(strip_keys(item))

    def get_configurations(self, configuration_ids: list[str]) -> dict[str, ConfigurationItem]:
        """The configurations of these ids that exist, by id (strongly consistent)."""
        unique = sorted(set(configuration_ids))
        found = self._batch_get([keys.configuration_key(c) for c in unique])
        return {item["id"]: ConfigurationItem.model_validate(strip_keys(item)) for item in found}

    def list_configurations(self, *, limit: int, cursor: str | None) -> Page[ConfigurationItem]:
        """A page of configurations in id order."""
        page = self._list_type("CONFIG", limit=limit, cursor=cursor)
        return Page([ConfigurationItem.model_validate(strip_keys(i)) for i in page.items], page.next_cursor)

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
        """Update a configuration and carry the change to its assignments; returns it and their system ids.
        `check` sees the merged and the stored item of every attempt (and may normalise the merged one)."""
        updated = self._update_versioned(
            keys.configuration_key(configuration_id),
            f"configuration {configuration_id}",
            changes,
            expected_version,
            now,
            None if check is None else _judged_by(check),
        )
        configuration = ConfigurationItem.model_validate(updated)
        return configuration, self._propagate_configuration(
            configuration, now_epoch=now_epoch, due_shards=due_shards
        )

    def configuration_system_ids(self, configuration_id: str) -> list[str]:
        links = self._query_all(keys.configuration_partition(configuration_id), sk_prefix="ASSIGN#")
        return [link["systemId"] for link in links]

    def _propagate_configuration(
        self, configuration: ConfigurationItem, *, now_epoch: int, due_shards: int
    ) -> list[str]:
        system_ids = self.configuration_system_ids(configuration.id)
        for system_id in system_ids:

            def attempt(system_id: str = system_id) -> None:
                current = self._get(keys.assignment_key(system_id, configuration.id))
                if current is None:
                    return
                fresh = current | {
                    "configurationName": configuration.name,
                    "strategyId": configuration.strategy_id,
                    "configurationPaused": configuration.paused,
                    "intervalSeconds": configuration.interval_seconds,
                }
                assignment = AssignmentItem.model_validate(strip_keys(fresh))
                schedule = schedule_attributes(
                    assignment, current, now_epoch=now_epoch, due_shards=due_shards
                )
                fresh = {k: v for k, v in fresh.items() if k not in SCHEDULE_ATTRIBUTES} | schedule
                self._transact([self.put_op(fresh, "version = :v", {":v": current["version"]})])

            self._retry_conflicts(attempt)
        return system_ids

    def delete_configuration(self, configuration_id: str, *, deleted_at: str) -> list[AssignmentItem]:
        """Delete a configuration and every assignment of it; returns those assignments."""
        if self._delete(keys.configuration_key(configuration_id), condition="attribute_exists(pk)") is None:
            raise NotFoundError(f"configuration {configuration_id} not found")
        removed = []
        for system_id in self.configuration_system_ids(configuration_id):
            try:
                removed.append(self.delete_assignment(system_id, configuration_id, deleted_at=deleted_at))
            except NotFoundError:
                self._delete(keys.configuration_link_key(configuration_id, system_id))
        return removed

    def system_snapshot(self, system_id: str) -> SystemSnapshot:
        """One consistent query of a system's partition: META, STATE, assignments, check states,
        maintenance, outbox."""
        system, state = None, None
        assignments, check_states, maintenances, outbox = [], {}, [], []
        for item in self._query_all(keys.system_partition(system_id)):
            sk = item["sk"]
            if sk == keys.META:
                system = SystemItem.model_validate(strip_keys(item))
            elif sk == keys.STATE:
                state = SystemStateItem.model_validate(strip_keys(item))
            elif sk.startswith(ASSIGNMENT_PREFIX):
                assignments.append(AssignmentItem.model_validate(strip_keys(item)))
            elif sk.startswith(keys.CHECK_STATE_PREFIX):
                check_state = CheckStateItem.model_validate(strip_keys(item))
                check_states[check_state.configuration_id] = check_state
            elif sk.startswith(MAINTENANCE_PREFIX):
                maintenances.append(MaintenanceItem.model_validate(strip_keys(item)))
            elif sk.startswith(keys.OUTBOX_PREFIX):
                outbox.append(outbox_entry(item))
        return SystemSnapshot(system, state, assignments, check_states, maintenances, outbox)

    # --- maintenance ---------------------------------------------------------------------

    def create_maintenance(self, maintenance: MaintenanceItem) -> MaintenanceItem:
        """Store a maintenance window of an existing system (else NotFoundError)."""
        key = keys.maintenance_key(maintenance.system_id, maintenance.id)
        item = plain_key(key) | maintenance.to_item()
        try:
            self._transact(
                [
                    self.check_op(keys.system_key(maintenance.system_id), "attribute_exists(pk)"),
                    self.put_op(item, "attribute_not_exists(pk)"),
                ]
            )
        except TransactionConflict as conflict:
            if conflict.reasons and conflict.reasons[0] == "ConditionalCheckFailed":
                raise NotFoundError(f"system {maintenance.system_id} not found") from conflict
            raise ConflictError("maintenance already exists") from conflict
        return maintenance

    def delete_maintenance(self, system_id: str, maintenance_id: str) -> None:
        """Delete a maintenance window, or NotFoundError."""
        if (
            self._delete(keys.maintenance_key(system_id, maintenance_id), condition="attribute_exists(pk)")
            is None
        ):
            raise NotFoundError(f"maintenance {maintenance_id} not found")

    # --- shared --------------------------------------------------------------------------

    def _update_versioned(
        self,
        key: dict,
        label: str,
        changes: dict,
        expected_version: int | None,
        now: str,
        check: Callable[[dict, dict], dict] | None = None,
    ) -> dict:
        """Read-modify-write guarded by `version`: with If-Match a mismatch is final, without it we retry,
        so two concurrent PATCHes never lose an update. Cross-field rules (`check`) judge the merged item
        of the attempt that writes, so a rule two racing PATCHes break together is never stored."""

        def attempt() -> dict:
            current = self._get(key)
            if current is None:
                raise NotFoundError(f"{label} not found")
            if expected_version is not None and current["version"] != expected_version:
                raise VersionMismatchError(f"{label} is at version {current['version']}")
            merged = current | changes
            if check is not None:
                merged = check(merged, current)
            updated = merged | {"updatedAt": now, "version": current["version"] + 1}
            self._transact([self.put_op(updated, "version = :v", {":v": current["version"]})])
            return strip_keys(updated)

        try:
            return self._retry_conflicts(attempt, once=expected_version is not None)
        except TransactionConflict as conflict:
            raise VersionMismatchError(f"{label} changed since you read it") from conflict


def _judged_by(check: ConfigurationCheck) -> Callable[[dict, dict], dict]:
    """`check` on the stored attributes of an attempt (the keys kept, what it returns written)."""

    def judged(merged: dict, current: dict) -> dict:
        typed = ConfigurationItem.model_validate
        return merged | check(typed(strip_keys(merged)), typed(strip_keys(current))).to_item()

    return judged
