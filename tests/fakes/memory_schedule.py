"""The scheduler's store port in memory (its shards, each shard's checkpoint, heartbeat deadlines),
as `shared.data.schedule.ScheduleStore` behaves: an assignment carries the same index attributes,
computed by the same `schedule_attributes`, and the indexes are read from them.
"""

from __future__ import annotations

from shared.data import keys


class MemorySchedule:
    """A part of MemoryStore, which holds the dictionaries."""

    assignments: dict[tuple[str, str], dict]
    schedule_index: dict[tuple[str, str], dict]  # dueShard, scheduledSince, nextDueAt of an assignment
    checkpoints: dict[str, int]

    def due_shards(self, count: int) -> list[str]:
        return keys.all_due_shards(count)

    def shard_has_checks(self, shard: str) -> bool:
        return any(index.get("dueShard") == shard for index in self.schedule_index.values())

    def scheduled_checks(self, shard: str) -> list[dict]:
        return [
            {
                "systemId": system_id,
                "configurationId": configuration_id,
                "intervalSeconds": self.assignments[(system_id, configuration_id)]["intervalSeconds"],
                "strategyId": self.assignments[(system_id, configuration_id)].get("strategyId"),
                "scheduledSince": index.get("scheduledSince"),
            }
            for (system_id, configuration_id), index in sorted(
                self.schedule_index.items(), key=lambda item: f"{item[0][0]}#{item[0][1]}"
            )
            if index.get("dueShard") == shard
        ]

    def schedule_checkpoint(self, shard: str) -> int | None:
        return self.checkpoints.get(shard)

    def advance_checkpoint(self, shard: str, *, seen: int | None, planned_through: int) -> bool:
        if self.checkpoints.get(shard) != seen:
            return False
        self.checkpoints[shard] = planned_through
        return True

    def due_deadline_keys(self, shard: str, until_epoch: int) -> list[tuple[str, str]]:
        due = [
            (index["nextDueAt"], pair)
            for pair, index in self.schedule_index.items()
            if index.get("dueShard") == shard and index.get("nextDueAt", until_epoch) < until_epoch
        ]
        return [pair for _, pair in sorted(due)]

    def advance_deadline(
        self, system_id: str, configuration_id: str, *, seen_due: int, next_due: int
    ) -> bool:
        index = self.schedule_index.get((system_id, configuration_id), {})
        if index.get("nextDueAt") != seen_due:
            return False
        index["nextDueAt"] = next_due
        return True

    def clear_deadline(
        self, system_id: str, configuration_id: str, *, seen_due: int, unschedule: bool
    ) -> None:
        pair = (system_id, configuration_id)
        index = self.schedule_index.get(pair, {})
        if index.get("nextDueAt") != seen_due:
            return
        if unschedule:
            del self.schedule_index[pair]
        else:
            del index["nextDueAt"]

    def schedule_deadline(self, system_id: str, configuration_id: str, *, deadline: int) -> None:
        index = self.schedule_index.get((system_id, configuration_id))
        if index is not None and "dueShard" in index:
            index["nextDueAt"] = deadline

    def _deadline_of(self, pair: tuple[str, str]) -> dict:
        index = self.schedule_index.get(pair, {})
        return {"nextDueAt": index["nextDueAt"]} if "nextDueAt" in index else {}
