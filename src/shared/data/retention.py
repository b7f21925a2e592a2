"""What the retention pass reads and deletes: tombstones, keys of a check's history partitions
(one page at a time, keys only, so a partition of millions never sits in memory) and the
assignment's record of which retention its stored expiry times follow."""

from __future__ import annotations

from typing import Any

from shared.data import keys
from shared.data.base import TableBase, strip_keys
from shared.data.table import serialize, translated_errors
from shared.domain.records import Page


class RetentionStore(TableBase):
    @staticmethod
    def history_partition(tier: str, system_id: str, configuration_id: str) -> str:
        """The partition of a check's runs ("raw") or aggregates ("hourly", "daily")."""
        if tier == "raw":
            return keys.runs_partition(system_id, configuration_id)
        return keys.aggregate_partition(tier, system_id, configuration_id)

    @staticmethod
    def check_transitions_partition(system_id: str, configuration_id: str) -> str:
        return keys.check_transitions_partition(system_id, configuration_id)

    @staticmethod
    def system_partitions(system_id: str) -> list[str]:
        """The partitions a deleted system leaves beside its checks': transitions and availability days."""
        return [keys.transitions_partition(system_id), keys.availability_days_partition(system_id)]

    def tombstones(self, *, limit: int) -> list[dict]:
        """The oldest tombstones (each with its sort key `sk`), strongly consistent."""
        page = self._query_page(keys.TOMBSTONES, limit=limit)
        return [strip_keys(i) | {"sk": i["sk"]} for i in page.items]

    def delete_tombstone(self, sort_key: str) -> None:
        self._delete({"pk": {"S": keys.TOMBSTONES}, "sk": {"S": sort_key}})

    def key_page(
        self, partition: str, *, before: str | None = None, after: str | None = None, limit: int = 500
    ) -> Page:
        """Up to `limit` sort keys of a partition in order, from after `after` up to before `before`;
        the cursor is the last sort key read."""
        condition, values = "pk = :pk", {":pk": partition}
        if before is not None and after is not None:
            condition += " AND sk BETWEEN :after AND :before"
            values |= {":after": after, ":before": before}
        elif before is not None:
            condition += " AND sk < :before"
            values[":before"] = before
        elif after is not None:
            condition += " AND sk > :after"
            values[":after"] = after
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": serialize(values),
            "ProjectionExpression": "pk, sk",
            "ConsistentRead": True,
            "Limit": limit,
        }
        with translated_errors():
            answer = self._client.query(**request)
        sort_keys = [item["sk"]["S"] for item in answer.get("Items", []) if item["sk"]["S"] != after]
        more = "LastEvaluatedKey" in answer and sort_keys
        return Page(
            [{"sk": sk} for sk in sort_keys if before is None or sk < before], sort_keys[-1] if more else None
        )

    def delete_keys(self, partition: str, sort_keys: list[str]) -> None:
        """Batch-delete items of one partition by sort key."""
        self._batch_write(deletes=[{"pk": {"S": partition}, "sk": {"S": sk}} for sk in sort_keys])

    def set_expiry(self, partition: str, sort_key: str, expires_at: int) -> None:
        """Move an item's TTL (never re-creating one TTL or a purge removed meanwhile)."""
        self._update(
            {"pk": {"S": partition}, "sk": {"S": sort_key}},
            "SET expiresAt = :expires",
            condition="attribute_exists(pk)",
            values={":expires": expires_at},
        )

    def record_stored_retention(
        self, system_id: str, configuration_id: str, *, seen_version: int, stored: dict, floors: dict
    ) -> bool:
        """Note that the stored expiry times now follow `stored`, if the assignment did not change."""
        return self._update(
            keys.assignment_key(system_id, configuration_id),
            "SET storedRetention = :stored, historyFloors = :floors",
            condition="version = :v",
            values={":stored": stored, ":floors": floors, ":v": seen_version},
        )
