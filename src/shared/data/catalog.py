"""Systems, configurations, assignments and maintenance windows in the single table.

Items keep the wire field names (camelCase). Creates are conditional (no duplicates); updates
are compare-and-set on `version`; cascades follow link items read strongly consistent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.data import keys
from shared.data.base import TableBase, TransactionConflict, strip_keys
from shared.data.outbox import outbox_entry
from shared.data.table import plain_key, translated_errors
from shared.domain.errors import ConflictError, NotFoundError, VersionMismatchError
from shared.domain.records import Page

ASSIGNMENT_PREFIX = "CHECK#"
MAINTENANCE_PREFIX = "MAINT#"


def _schedule_attributes(assignment: dict, now_epoch: int) -> dict:
    """Only assignments the executor must run carry the ByNextDue index attributes (sparse index)."""
    if assignment["enabled"] and assignment["includeLocal"] and not assignment.get("configurationPaused"):
        return {
            "dueShard": keys.due_shard(assignment["systemId"], assignment["configurationId"]),
            "nextDueAt": now_epoch,
        }
    return {}


class CatalogStore(TableBase):
    # --- systems -------------------------------------------------------------------------

    def create_system(self, system: dict, initial_state: dict) -> dict:
        """Store a new system and its initial health state; a taken id is a ConflictError."""
        item = plain_key(keys.system_key(system["id"]) | keys.type_index("SYSTEM", system["id"])) | system
        state = plain_key(keys.system_state_key(system["id"])) | initial_state
        try:
            self._transact([self.put_op(item, "attribute_not_exists(pk)"), self.put_op(state)])
        except TransactionConflict as conflict:
            raise ConflictError(f"system {system['id']} already exists") from conflict
        return system

    def get_system(self, system_id: str) -> dict:
        item = self._get(keys.system_key(system_id))
        if item is None:
            raise NotFoundError(f"system {system_id} not found")
        return strip_keys(item)

    def list_systems(self, *, limit: int, cursor: str | None) -> Page:
        page = self._list_type("SYSTEM", limit=limit, cursor=cursor)
        return Page([strip_keys(i) for i in page.items], page.next_cursor)

    def update_system(self, system_id: str, changes: dict, *, expected_version: int | None, now: str) -> dict:
        return self._update_versioned(
            keys.system_key(system_id), f"system {system_id}", changes, expected_version, now
        )

    def delete_system(self, system_id: str) -> list[dict]:
        """Delete a system with its assignments, maintenance and links; returns the assignments it had."""
        items = self._query_all(keys.system_partition(system_id))
        if not any(i["sk"] == keys.META for i in items):
            raise NotFoundError(f"system {system_id} not found")
        if self._delete(keys.system_key(system_id), condition="attribute_exists(pk)") is None:
            raise NotFoundError(f"system {system_id} not found")
        assignments = [strip_keys(i) for i in items if i["sk"].startswith(ASSIGNMENT_PREFIX)]
        doomed = [{"pk": {"S": i["pk"]}, "sk": {"S": i["sk"]}} for i in items if i["sk"] != keys.META]
        for assignment in assignments:
            doomed.append(keys.configuration_link_key(assignment["configurationId"], system_id))
            doomed.extend(
                keys.satellite_link_key(sat, system_id, assignment["configurationId"])
                for sat in assignment["satelliteIds"]
            )
        tombstone = plain_key(keys.tombstone_key(system_id)) | {
            "systemId": system_id,
            "configurationIds": [a["configurationId"] for a in assignments],
        }
        self._batch_write(puts=[tombstone], deletes=doomed)
        return assignments

    # --- configurations ------------------------------------------------------------------

    def create_configuration(self, configuration: dict) -> dict:
        item = plain_key(
            keys.configuration_key(configuration["id"]) | keys.type_index("CONFIG", configuration["id"])
        )
        if not self._put(item | configuration, condition="attribute_not_exists(pk)"):
            raise ConflictError(f"configuration {configuration['id']} already exists")
        return configuration

    def get_configuration(self, configuration_id: str) -> dict:
        item = self._get(keys.configuration_key(configuration_id))
        if item is None:
            raise NotFoundError(f"configuration {configuration_id} not found")
        return strip_keys(item)

    def get_configurations(self, configuration_ids: list[str]) -> dict[str, dict]:
        unique = sorted(set(configuration_ids))
        found = self._batch_get([keys.configuration_key(c) for c in unique])
        return {item["id"]: strip_keys(item) for item in found}

    def list_configurations(self, *, limit: int, cursor: str | None) -> Page:
        page = self._list_type("CONFIG", limit=limit, cursor=cursor)
        return Page([strip_keys(i) for i in page.items], page.next_cursor)

    def update_configuration(
        self,
        configuration_id: str,
        changes: dict,
        *,
        expected_version: int | None,
        now: str,
        now_epoch: int,
        check: Callable[[dict], dict] | None = None,
    ) -> tuple[dict, list[str]]:
        """Update a configuration and carry the change to its assignments; returns it and their system ids.
        `check` sees the merged item of every attempt (and may normalise it) before it is written."""
        before = self.get_configuration(configuration_id)
        updated = self._update_versioned(
            keys.configuration_key(configuration_id),
            f"configuration {configuration_id}",
            changes,
            expected_version,
            now,
            check,
        )
        reschedule = updated["intervalSeconds"] != before["intervalSeconds"] or (
            before["paused"] and not updated["paused"]
        )
        return updated, self._propagate_configuration(updated, now_epoch=now_epoch, reschedule=reschedule)

    def configuration_system_ids(self, configuration_id: str) -> list[str]:
        links = self._query_all(keys.configuration_partition(configuration_id), sk_prefix="ASSIGN#")
        return [link["systemId"] for link in links]

    def _propagate_configuration(self, configuration: dict, *, now_epoch: int, reschedule: bool) -> list[str]:
        system_ids = self.configuration_system_ids(configuration["id"])
        for system_id in system_ids:

            def attempt(system_id: str = system_id) -> None:
                current = self._get(keys.assignment_key(system_id, configuration["id"]))
                if current is None:
                    return
                fresh = current | {
                    "configurationName": configuration["name"],
                    "strategyId": configuration["strategyId"],
                    "configurationPaused": configuration["paused"],
                    "intervalSeconds": configuration["intervalSeconds"],
                }
                schedule = _schedule_attributes(fresh, now_epoch)
                if schedule and not reschedule and "nextDueAt" in current:
                    schedule["nextDueAt"] = current["nextDueAt"]
                fresh = {k: v for k, v in fresh.items() if k not in ("dueShard", "nextDueAt")} | schedule
                self._transact([self.put_op(fresh, "version = :v", {":v": current["version"]})])

            self._retry_conflicts(attempt)
        return system_ids

    def delete_configuration(self, configuration_id: str) -> list[dict]:
        """Delete a configuration and every assignment of it; returns those assignments."""
        if self._delete(keys.configuration_key(configuration_id), condition="attribute_exists(pk)") is None:
            raise NotFoundError(f"configuration {configuration_id} not found")
        removed = []
        for system_id in self.configuration_system_ids(configuration_id):
            try:
                removed.append(self.delete_assignment(system_id, configuration_id))
            except NotFoundError:
                self._delete(keys.configuration_link_key(configuration_id, system_id))
        return removed

    # --- assignments ---------------------------------------------------------------------

    def get_assignment(self, system_id: str, configuration_id: str) -> dict:
        item = self._get(keys.assignment_key(system_id, configuration_id))
        if item is None:
            raise NotFoundError(f"check {configuration_id} is not assigned to system {system_id}")
        return strip_keys(item)

    def put_assignment(
        self,
        system_id: str,
        configuration_id: str,
        settings: dict,
        *,
        expected_version: int | None,
        now: str,
        now_epoch: int,
    ) -> tuple[dict, bool]:
        """Create or replace an assignment atomically with its links; returns it and whether it is new."""

        def attempt() -> tuple[dict, bool]:
            configuration = self.get_configuration(configuration_id)
            self.get_system(system_id)
            existing = self._get(keys.assignment_key(system_id, configuration_id))
            if expected_version is not None and (existing is None or existing["version"] != expected_version):
                raise VersionMismatchError("the assignment changed since you read it")
            self._require_satellites(settings["satelliteIds"])
            assignment = {
                "systemId": system_id,
                "configurationId": configuration_id,
                "configurationName": configuration["name"],
                "strategyId": configuration["strategyId"],
                "configurationPaused": configuration["paused"],
                "intervalSeconds": configuration["intervalSeconds"],
                **settings,
                "createdAt": existing["createdAt"] if existing else now,
                "updatedAt": now,
                "version": existing["version"] + 1 if existing else 1,
            }
            key_attrs = plain_key(
                keys.assignment_key(system_id, configuration_id)
                | keys.type_index("ASSIGNMENT", f"{system_id}#{configuration_id}")
            )
            item = key_attrs | assignment | _schedule_attributes(assignment, now_epoch)
            operations = [
                self.put_op(item, "version = :v", {":v": existing["version"]})
                if existing
                else self.put_op(item, "attribute_not_exists(pk)"),
                self.check_op(
                    keys.configuration_key(configuration_id),
                    "version = :cv",
                    {":cv": configuration["version"]},
                ),
                self.check_op(keys.system_key(system_id), "attribute_exists(pk)"),
                self.put_op(
                    plain_key(keys.configuration_link_key(configuration_id, system_id))
                    | {"systemId": system_id}
                ),
            ]
            before = set(existing["satelliteIds"]) if existing else set()
            after = set(settings["satelliteIds"])
            operations += [
                self.put_op(
                    plain_key(keys.satellite_link_key(s, system_id, configuration_id))
                    | {"systemId": system_id, "configurationId": configuration_id}
                )
                for s in sorted(after - before)
            ]
            operations += [
                self.delete_op(keys.satellite_link_key(s, system_id, configuration_id))
                for s in sorted(before - after)
            ]
            self._transact(operations)
            return strip_keys(item), existing is None

        return self._retry_conflicts(attempt)

    def list_assignments_page(self, *, limit: int, cursor: str | None) -> Page:
        page = self._list_type("ASSIGNMENT", limit=limit, cursor=cursor)
        return Page([strip_keys(i) for i in page.items], page.next_cursor)

    def delete_assignment(self, system_id: str, configuration_id: str) -> dict:
        def attempt() -> dict:
            existing = self.get_assignment(system_id, configuration_id)
            operations = [
                self.delete_op(keys.assignment_key(system_id, configuration_id), "version = :v"),
                self.delete_op(keys.configuration_link_key(configuration_id, system_id)),
            ]
            operations[0]["Delete"]["ExpressionAttributeValues"] = {":v": {"N": str(existing["version"])}}
            operations += [
                self.delete_op(keys.satellite_link_key(s, system_id, configuration_id))
                for s in existing["satelliteIds"]
            ]
            self._transact(operations)
            return existing

        return self._retry_conflicts(attempt)

    def system_snapshot(self, system_id: str) -> dict[str, Any]:
        """One consistent query of a system's partition: META, STATE, assignments, maintenance, outbox."""
        items = self._query_all(keys.system_partition(system_id))
        snapshot: dict[str, Any] = {
            "system": None,
            "state": None,
            "assignments": [],
            "maintenances": [],
            "outbox": [],
        }
        for item in items:
            sk = item["sk"]
            if sk == keys.META:
                snapshot["system"] = strip_keys(item)
            elif sk == keys.STATE:
                snapshot["state"] = strip_keys(item)
            elif sk.startswith(ASSIGNMENT_PREFIX):
                snapshot["assignments"].append(strip_keys(item))
            elif sk.startswith(MAINTENANCE_PREFIX):
                snapshot["maintenances"].append(strip_keys(item))
            elif sk.startswith(keys.OUTBOX_PREFIX):
                snapshot["outbox"].append(outbox_entry(item))
        return snapshot

    def _require_satellites(self, satellite_ids: list[str]) -> None:
        if not satellite_ids:
            return
        found = {i["id"] for i in self._batch_get([keys.satellite_key(s) for s in satellite_ids])}
        missing = [s for s in satellite_ids if s not in found]
        if missing:
            raise NotFoundError(f"satellite {missing[0]} not found")

    # --- schedule ------------------------------------------------------------------------

    def due_assignment_keys(self, shard: str, until_epoch: int) -> list[tuple[str, str]]:
        """(systemId, configurationId) of assignments due before `until_epoch` in one shard of the
        sparse ByNextDue index (eventually consistent: callers re-read the items)."""
        found: list[tuple[str, str]] = []
        request = {
            "TableName": self._table,
            "IndexName": "ByNextDue",
            "KeyConditionExpression": "dueShard = :shard AND nextDueAt < :until",
            "ExpressionAttributeValues": {":shard": {"S": shard}, ":until": {"N": str(until_epoch)}},
        }
        with translated_errors():
            while True:
                answer = self._client.query(**request)
                for item in answer.get("Items", []):
                    system_id = item["pk"]["S"].removeprefix("SYSTEM#")
                    found.append((system_id, item["sk"]["S"].removeprefix(ASSIGNMENT_PREFIX)))
                if "LastEvaluatedKey" not in answer:
                    return found
                request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def get_assignments(self, pairs: list[tuple[str, str]]) -> list[dict]:
        """Assignments by (systemId, configurationId), strongly consistent, with their schedule."""
        items = self._batch_get([keys.assignment_key(s, c) for s, c in dict.fromkeys(pairs)])
        return [strip_keys(i) | {k: i[k] for k in ("nextDueAt",) if k in i} for i in items]

    def advance_schedule(
        self, system_id: str, configuration_id: str, *, seen_due: int, next_due: int, due_shard: str
    ) -> bool:
        """Move the next due time on (into `due_shard`), only if nobody else did since we read it."""
        return self._update(
            keys.assignment_key(system_id, configuration_id),
            "SET nextDueAt = :next, dueShard = :shard",
            condition="nextDueAt = :seen",
            values={":next": next_due, ":seen": seen_due, ":shard": due_shard},
        )

    def clear_schedule(self, system_id: str, configuration_id: str, *, seen_due: int) -> None:
        """Take an assignment out of the due index (it is paused, disabled or satellite-only)."""
        self._update(
            keys.assignment_key(system_id, configuration_id),
            "REMOVE nextDueAt, dueShard",
            condition="nextDueAt = :seen",
            values={":seen": seen_due},
        )

    # --- maintenance ---------------------------------------------------------------------

    def create_maintenance(self, maintenance: dict) -> dict:
        item = plain_key(keys.maintenance_key(maintenance["systemId"], maintenance["id"])) | maintenance
        try:
            self._transact(
                [
                    self.check_op(keys.system_key(maintenance["systemId"]), "attribute_exists(pk)"),
                    self.put_op(item, "attribute_not_exists(pk)"),
                ]
            )
        except TransactionConflict as conflict:
            if conflict.reasons and conflict.reasons[0] == "ConditionalCheckFailed":
                raise NotFoundError(f"system {maintenance['systemId']} not found") from conflict
            raise ConflictError("maintenance already exists") from conflict
        return maintenance

    def delete_maintenance(self, system_id: str, maintenance_id: str) -> None:
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
        check: Callable[[dict], dict] | None = None,
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
                merged = check(merged)
            updated = merged | {"updatedAt": now, "version": current["version"] + 1}
            self._transact([self.put_op(updated, "version = :v", {":v": current["version"]})])
            return strip_keys(updated)

        try:
            return self._retry_conflicts(attempt, once=expected_version is not None)
        except TransactionConflict as conflict:
            raise VersionMismatchError(f"{label} changed since you read it") from conflict
