"""What retention deletes: runs and aggregates past their age, and the whole history of deleted
systems (their tombstones say which)."""

from __future__ import annotations

from shared.data import keys
from shared.data.base import TableBase, strip_keys


class RetentionStore(TableBase):
    def tombstones(self) -> list[dict]:
        """Deleted systems whose history retention has yet to purge."""
        return [strip_keys(item) for item in self._query_all(keys.TOMBSTONES)]

    def delete_runs(self, system_id: str, configuration_id: str, *, before: str) -> int:
        """Delete a check's runs older than `before`; returns how many."""
        return self._delete_partition_range(keys.runs_partition(system_id, configuration_id), before=before)

    def delete_aggregates(self, tier: str, system_id: str, configuration_id: str, *, before: str) -> int:
        """Delete a check's aggregates of one tier whose bucket starts before `before`; returns how many."""
        partition = keys.aggregate_partition(tier, system_id, configuration_id)
        return self._delete_partition_range(partition, before=before)

    def purge_history(self, system_id: str, configuration_ids: list[str]) -> None:
        """Delete every run, aggregate and transition of a deleted system."""
        for configuration_id in configuration_ids:
            self._delete_partition_range(keys.runs_partition(system_id, configuration_id))
            for tier in keys.TIER_CODES:
                self._delete_partition_range(keys.aggregate_partition(tier, system_id, configuration_id))
            self._delete_partition_range(keys.check_transitions_partition(system_id, configuration_id))
        self._delete_partition_range(keys.transitions_partition(system_id))
        self._delete_partition_range(keys.availability_days_partition(system_id))

    def _delete_partition_range(self, partition: str, *, before: str | None = None) -> int:
        """Delete a partition's items (those sorting before `before` only, when given); returns the count."""
        doomed: list[dict] = []
        cursor = None
        while True:
            page = self._query_page(
                partition, sk_between=("", before) if before else None, limit=1000, cursor=cursor
            )
            doomed += [{"pk": {"S": i["pk"]}, "sk": {"S": i["sk"]}} for i in page.items]
            if not page.next_cursor:
                break
            cursor = page.next_cursor
        self._batch_write(deletes=doomed)
        return len(doomed)

    def delete_tombstone(self, system_id: str) -> None:
        """Forget a deleted system once its history is purged."""
        self._delete(keys.tombstone_key(system_id))
