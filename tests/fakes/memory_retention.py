"""The retention port (history keys a page at a time, deletes, expiry moves, the stored-retention
record) in memory, as `shared.data.retention.RetentionStore` behaves on DynamoDB: partitions and sort
keys are the table's, a page says there is more only when an item lies past it (as moto answers), and
an expiry is never set on an item that is gone. Tombstones themselves live in memory_store.py."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from shared.data import keys
from shared.data.retention import RetentionStore
from shared.domain.records import Page

Slot = tuple[dict, Any]  # the dictionary holding an item, and the item's key in it


class MemoryRetention:
    """A part of MemoryStore, which holds the dictionaries."""

    runs: dict[str, dict]
    aggregates: dict[tuple[str, str, str, str, str], dict]
    check_transitions: dict[tuple[str, str], dict[str, dict]]
    transitions: list[dict]
    availability_days: dict[tuple[str, str], dict]
    assignments: dict[tuple[str, str], dict]

    history_partition = staticmethod(RetentionStore.history_partition)
    check_transitions_partition = staticmethod(RetentionStore.check_transitions_partition)
    system_partitions = staticmethod(RetentionStore.system_partitions)

    def key_page(
        self, partition: str, *, before: str | None = None, after: str | None = None, limit: int = 500
    ) -> Page:
        """As the repository's keys-only Query: `before` and `after` bound the key condition (inclusive
        when both are given, as BETWEEN), the page is filtered to `sk < before` afterwards."""
        in_range = sorted(
            sk
            for sk in self._slots(partition)
            if (after is None or (sk >= after if before is not None else sk > after))
            and (before is None or (sk <= before if after is not None else sk < before))
        )
        read = in_range[:limit]
        sort_keys = [sk for sk in read if sk != after]
        more = len(in_range) > limit and sort_keys
        return Page(
            [{"sk": sk} for sk in sort_keys if before is None or sk < before], sort_keys[-1] if more else None
        )

    def delete_keys(self, partition: str, sort_keys: list[str]) -> None:
        slots = self._slots(partition)
        for sk in sort_keys:
            if sk in slots:
                container, key = slots.pop(sk)
                if isinstance(container, list):
                    container.remove(key)
                else:
                    del container[key]
        self._index_signature = self._signature()

    def set_expiry(self, partition: str, sort_key: str, expires_at: int) -> None:
        slot = self._slots(partition).get(sort_key)
        if slot is not None:
            container, key = slot
            item = key if isinstance(container, list) else container[key]
            item["expiresAt"] = expires_at

    def record_stored_retention(
        self, system_id: str, configuration_id: str, *, seen_version: int, stored: dict, floors: dict
    ) -> bool:
        assignment = self.assignments.get((system_id, configuration_id))
        if assignment is None or assignment["version"] != seen_version:
            return False
        assignment |= {"storedRetention": dict(stored), "historyFloors": dict(floors)}
        return True

    def _slots(self, partition: str) -> dict[str, Slot]:
        """Where each item of `partition` is held, by its sort key in the table. The index is built
        again whenever another method added or dropped items (their counts or containers changed)."""
        signature = self._signature()
        if getattr(self, "_index_signature", None) != signature:
            index: dict[str, dict[str, Slot]] = defaultdict(dict)
            for item_partition, sk, slot in self._every_item():
                index[item_partition][sk] = slot
            self._partition_index, self._index_signature = index, signature
        return self._partition_index.get(partition, {})

    def _signature(self) -> tuple:
        held = (self.runs, self.aggregates, self.check_transitions, self.transitions, self.availability_days)
        timelines = sum(len(items) for items in self.check_transitions.values())
        return (*(id(c) for c in held), *(len(c) for c in held), timelines)

    def _every_item(self) -> Iterator[tuple[str, str, Slot]]:
        for run_id, run in self.runs.items():
            partition = keys.runs_partition(run["systemId"], run["configurationId"])
            yield partition, f"{run.get('filedAt') or run['timestamp']}#{run_id}", (self.runs, run_id)
        for key in self.aggregates:
            tier, system_id, configuration_id, start, source_id = key
            partition = keys.aggregate_partition(tier, system_id, configuration_id)
            yield partition, f"{start}#{source_id}", (self.aggregates, key)
        for (system_id, configuration_id), items in self.check_transitions.items():
            partition = keys.check_transitions_partition(system_id, configuration_id)
            yield from ((partition, sk, (items, sk)) for sk in items)
        for system_id, day in self.availability_days:
            yield keys.availability_days_partition(system_id), day, (self.availability_days, (system_id, day))
        for transition in self.transitions:
            # commit_run's transitions carry no state version here: 0 stands in for it
            sk = f"{transition['at']}#{transition.get('stateVersion', 0):012d}"
            yield keys.transitions_partition(transition["systemId"]), sk, (self.transitions, transition)
