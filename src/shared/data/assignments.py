"""Assignments (a configuration checked for a system), placed in the scheduler's sparse indexes
(data/schedule.py) when they are to be run.

A put is one transaction with its links (configuration -> systems, satellite -> assignments), checked
against the configuration's version and the system's existence; writes are compare-and-set on `version`.
"""

from __future__ import annotations

from shared.data import keys
from shared.data.base import strip_keys
from shared.data.schedule import ScheduleStore, schedule_attributes
from shared.data.table import plain_key
from shared.domain.catalog_items import AssignmentItem, assignment_item
from shared.domain.errors import NotFoundError, ValidationFailedError, VersionMismatchError
from shared.domain.records import Page
from shared.settings import DEFAULT_DUE_SHARDS


class AssignmentStore(ScheduleStore):
    # --- assignments ---------------------------------------------------------------------

    def get_assignment(self, system_id: str, configuration_id: str) -> AssignmentItem:
        """One assignment, or NotFoundError."""
        item = self._get(keys.assignment_key(system_id, configuration_id))
        if item is None:
            raise NotFoundError(f"check {configuration_id} is not assigned to system {system_id}")
        return AssignmentItem.model_validate(strip_keys(item))

    def put_assignment(
        self,
        system_id: str,
        configuration_id: str,
        settings: dict,
        *,
        expected_version: int | None,
        now: str,
        now_epoch: int,
        due_shards: int = DEFAULT_DUE_SHARDS,
    ) -> tuple[AssignmentItem, bool]:
        """Create or replace an assignment atomically with its links; returns it and whether it is new.
        `settings` are API.md's assignment body with stored names."""

        def attempt() -> tuple[AssignmentItem, bool]:
            configuration = self.get_configuration(configuration_id)
            self.get_system(system_id)
            existing = self._get(keys.assignment_key(system_id, configuration_id))
            if expected_version is not None and (existing is None or existing["version"] != expected_version):
                raise VersionMismatchError("the assignment changed since you read it")
            self._require_satellites(settings["satelliteIds"])
            previous = AssignmentItem.model_validate(strip_keys(existing)) if existing else None
            since = None if existing else self._history_since(system_id, configuration_id)
            assignment = assignment_item(
                system_id, configuration, settings, previous, now, history_since=since
            )
            key_attrs = plain_key(
                keys.assignment_key(system_id, configuration_id)
                | keys.type_index("ASSIGNMENT", f"{system_id}#{configuration_id}")
            )
            schedule = schedule_attributes(assignment, existing, now_epoch=now_epoch, due_shards=due_shards)
            item = key_attrs | assignment.to_item() | schedule
            operations = [
                self.put_op(item, "version = :v", {":v": existing["version"]})
                if existing
                else self.put_op(item, "attribute_not_exists(pk)"),
                self.check_op(
                    keys.configuration_key(configuration_id),
                    "version = :cv",
                    {":cv": configuration.version},
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
            return assignment, existing is None

        return self._retry_conflicts(attempt)

    def list_assignments_page(self, *, limit: int, cursor: str | None) -> Page[AssignmentItem]:
        """A page of assignments in (system, configuration) order."""
        page = self._list_type("ASSIGNMENT", limit=limit, cursor=cursor)
        return Page([AssignmentItem.model_validate(strip_keys(i)) for i in page.items], page.next_cursor)

    def delete_assignment(self, system_id: str, configuration_id: str, *, deleted_at: str) -> AssignmentItem:
        """Delete an assignment and its links, leaving a tombstone for the retention pass; returns it."""

        def attempt() -> AssignmentItem:
            existing = self.get_assignment(system_id, configuration_id)
            operations = [
                self.delete_op(keys.assignment_key(system_id, configuration_id), "version = :v"),
                self.delete_op(keys.configuration_link_key(configuration_id, system_id)),
                # its slices go with it: a later assignment of the same check starts unknown
                self.delete_op(keys.check_state_key(system_id, configuration_id)),
                self.put_op(
                    plain_key(keys.check_tombstone_key(system_id, configuration_id, deleted_at))
                    | {
                        "kind": "check",
                        "systemId": system_id,
                        "configurationIds": [configuration_id],
                        "deletedAt": deleted_at,
                    }
                ),
            ]
            operations[0]["Delete"]["ExpressionAttributeValues"] = {":v": {"N": str(existing.version)}}
            operations += [
                self.delete_op(keys.satellite_link_key(s, system_id, configuration_id))
                for s in existing.satellite_ids
            ]
            operations += self._heartbeat_deletes(system_id, configuration_id)
            self._transact(operations)
            return existing

        return self._retry_conflicts(attempt)

    def _heartbeat_deletes(self, system_id: str, configuration_id: str) -> list[dict]:
        """A heartbeat's state and its ping token go with its assignment: a token must not come back
        to life when the check is assigned again. Guarded by the token read, so a token issued meanwhile
        makes the transaction retry rather than survive."""
        heartbeat = self._get(keys.heartbeat_key(system_id, configuration_id))
        if heartbeat is None:
            return []
        token_hash = heartbeat.get("tokenHash")
        if token_hash is None:
            return [
                self.delete_op(
                    keys.heartbeat_key(system_id, configuration_id), "attribute_not_exists(tokenHash)"
                )
            ]
        guarded = self.delete_op(keys.heartbeat_key(system_id, configuration_id), "tokenHash = :hash")
        guarded["Delete"]["ExpressionAttributeValues"] = {":hash": {"S": token_hash}}
        return [guarded, self.delete_op(keys.ping_token_key(token_hash))]

    def _history_since(self, system_id: str, configuration_id: str) -> str | None:
        """A re-created assignment shows no history of its deleted predecessor, even before the
        retention pass purged it: its history starts at the latest deletion left as a tombstone."""
        deletions = [
            t["deletedAt"]
            for prefix in (f"CHECK#{system_id}#{configuration_id}#", f"SYSTEM#{system_id}#")
            for t in self._query_all(keys.TOMBSTONES, sk_prefix=prefix)
            if "deletedAt" in t
        ]
        return max(deletions, default=None)

    def _require_satellites(self, satellite_ids: list[str]) -> None:
        if not satellite_ids:
            return
        found = {i["id"] for i in self._batch_get([keys.satellite_key(s) for s in satellite_ids])}
        missing = [s for s in satellite_ids if s not in found]
        if missing:
            raise ValidationFailedError(
                "unknown satellite",
                [
                    {"field": f"body.satelliteIds.{satellite_ids.index(s)}", "message": f"no satellite {s}"}
                    for s in missing
                ],
            )

    def get_assignments(self, pairs: list[tuple[str, str]]) -> list[AssignmentItem]:
        """Assignments by (systemId, configurationId), strongly consistent, with their heartbeat deadline."""
        items = self._batch_get([keys.assignment_key(s, c) for s, c in dict.fromkeys(pairs)])
        return [stored_assignment(i) for i in items]


def stored_assignment(item: dict) -> AssignmentItem:
    """An assignment item as read, with its heartbeat deadline (an index attribute)."""
    return AssignmentItem.model_validate(strip_keys(item) | {k: item[k] for k in ("nextDueAt",) if k in item})
