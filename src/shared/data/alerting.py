"""The alerting part of the single table: channels, policies, per-system alert state, incidents with
their timeline and deliveries. Implements `shared.services.alerting.ports.AlertingStore`."""

from __future__ import annotations

import uuid
from datetime import datetime

from shared.data import keys
from shared.data.base import Page, TableBase, TransactionConflict, strip_keys
from shared.domain.alerting import CHANNEL, INCIDENT, StaleWriteError
from shared.domain.errors import ConflictError, NotFoundError, VersionMismatchError
from shared.domain.wire import format_timestamp

__all__ = ["CHANNEL", "AlertingStore", "StaleWriteError"]


def _plain(key: dict) -> dict:
    return {k: v["S"] for k, v in key.items()}


class AlertingStore(TableBase):
    # --- channels and policies -----------------------------------------------------------

    def create_resource(self, kind: str, item: dict) -> None:
        """Store a new channel or policy; a taken id is a ConflictError."""
        key = self._resource_key(kind, item["id"])
        stored = _plain(key | keys.type_index(kind, item["id"])) | item
        if not self._put(stored, condition="attribute_not_exists(pk)"):
            raise ConflictError(f"{kind} {item['id']} already exists")

    def get_resource(self, kind: str, resource_id: str) -> dict:
        item = self._get(self._resource_key(kind, resource_id))
        if item is None:
            raise NotFoundError(f"{kind} {resource_id} not found")
        return strip_keys(item)

    def replace_resource(self, kind: str, item: dict, *, expected_version: int) -> None:
        """Write a changed channel or policy whose stored version is still `expected_version`."""
        key = self._resource_key(kind, item["id"])
        stored = _plain(key | keys.type_index(kind, item["id"])) | item
        if not self._put(stored, condition="version = :v", values={":v": expected_version}):
            raise VersionMismatchError(f"{kind} {item['id']} changed since you read it")

    def delete_resource(self, kind: str, resource_id: str) -> None:
        if self._delete(self._resource_key(kind, resource_id), condition="attribute_exists(pk)") is None:
            raise NotFoundError(f"{kind} {resource_id} not found")

    def list_resources(self, kind: str, *, limit: int, cursor: str | None) -> Page:
        page = self._list_type(kind, limit=limit, cursor=cursor)
        return Page([strip_keys(i) for i in page.items], page.next_cursor)

    def all_resources(self, kind: str) -> list[dict]:
        """Every channel or policy (a short list read from the type index)."""
        items, cursor = [], None
        while True:
            page = self.list_resources(kind, limit=500, cursor=cursor)
            items.extend(page.items)
            if not page.next_cursor:
                return items
            cursor = page.next_cursor

    def get_channels(self, channel_ids: list[str]) -> dict[str, dict]:
        found = self._batch_get([keys.channel_key(i) for i in dict.fromkeys(channel_ids)])
        return {i["id"]: strip_keys(i) for i in found}

    @staticmethod
    def _resource_key(kind: str, resource_id: str) -> dict:
        return keys.channel_key(resource_id) if kind == CHANNEL else keys.alert_policy_key(resource_id)

    # --- alert state and incidents -------------------------------------------------------

    def get_alert_state(self, system_id: str) -> dict | None:
        item = self._get(keys.alert_state_key(system_id))
        return strip_keys(item) if item else None

    def get_incident(self, incident_id: str) -> dict | None:
        item = self._get(keys.incident_key(incident_id))
        return strip_keys(item) if item else None

    def save_alerting(
        self,
        *,
        state: dict | None = None,
        incident: dict | None = None,
        timeline: list[dict] = (),
    ) -> None:
        """Write the alert state and/or an incident, each guarded by the version it was read at
        (`version` is the new one), with timeline entries, in one transaction."""
        operations = []
        if state is not None:
            item = _plain(keys.alert_state_key(state["systemId"])) | state
            operations.append(self._versioned_put(item))
        if incident is not None:
            item = _plain(
                keys.incident_key(incident["id"]) | keys.incident_index(incident["openedAt"], incident["id"])
            )
            operations.append(self._versioned_put(item | incident))
        for entry in timeline:
            key = keys.timeline_entry_key(entry["incidentId"], entry["at"], uuid.uuid4().hex[:12])
            operations.append(self.put_op(_plain(key) | entry))
        try:
            self._transact(operations)
        except TransactionConflict as conflict:
            raise StaleWriteError(",".join(conflict.reasons)) from conflict

    def _versioned_put(self, item: dict) -> dict:
        if item["version"] == 1:
            return self.put_op(item, "attribute_not_exists(pk)")
        return self.put_op(item, "version = :v", {":v": item["version"] - 1})

    def incidents_for(self, system_ids: list[str], since: datetime) -> list[dict]:
        """Open incidents of these systems and those resolved since `since`, newest first: the alert
        states name them (current and recent ids), so it is two batched reads whatever the history."""
        states = self._batch_get([keys.alert_state_key(s) for s in dict.fromkeys(system_ids)])
        named = [
            i for state in states for i in [state.get("incidentId"), *state.get("recentIncidentIds", [])]
        ]
        incident_ids = [i for i in dict.fromkeys(named) if i]
        if not incident_ids:
            return []
        found = [strip_keys(i) for i in self._batch_get([keys.incident_key(i) for i in incident_ids])]
        cutoff = format_timestamp(since)
        kept = [i for i in found if i["status"] != "resolved" or (i.get("resolvedAt") or "") >= cutoff]
        return sorted(kept, key=lambda i: i["openedAt"], reverse=True)

    def list_incidents(self, *, limit: int, cursor: str | None) -> Page:
        page = self._query_page(
            keys.type_partition(INCIDENT), index="ByType", limit=limit, cursor=cursor, newest_first=True
        )
        return Page([strip_keys(i) for i in page.items], page.next_cursor)

    def timeline(self, incident_id: str) -> list[dict]:
        items = self._query_all(keys.incident_partition(incident_id), sk_prefix=keys.TIMELINE_PREFIX)
        return [strip_keys(i) for i in items]

    # --- deliveries ----------------------------------------------------------------------

    def get_delivery(self, incident_id: str, step: str, channel_id: str) -> dict | None:
        item = self._get(keys.delivery_key(incident_id, step, channel_id))
        return strip_keys(item) if item else None

    def put_delivery(self, delivery: dict) -> None:
        key = keys.delivery_key(delivery["incidentId"], delivery["step"], delivery["channelId"])
        self._put(_plain(key) | delivery)

    def deliveries(self, incident_id: str) -> list[dict]:
        items = self._query_all(keys.incident_partition(incident_id), sk_prefix=keys.DELIVERY_PREFIX)
        return [strip_keys(i) for i in items]
