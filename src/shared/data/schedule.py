"""The scheduler's view of the single table: the sparse ByShard index of the assignments it runs,
one planning checkpoint per shard, and heartbeat deadlines in the sparse ByNextDue index.

An assignment's ByShard attributes (`dueShard`, `scheduledSince`) are written only when the
assignment or its configuration changes, never per run: a run's slot is computed from them.
"""

from __future__ import annotations

from typing import Any

from shared.data import keys
from shared.data.base import TableBase
from shared.data.table import translated_errors
from shared.domain.catalog_items import AssignmentItem
from shared.domain.heartbeat import HEARTBEAT_STRATEGY_ID
from shared.domain.schedule import is_scheduled

ASSIGNMENT_PREFIX = "CHECK#"
SHARD_INDEX = "ByShard"
DEADLINE_INDEX = "ByNextDue"
SCHEDULE_ATTRIBUTES = ("dueShard", "scheduledSince", "nextDueAt")


def schedule_attributes(
    assignment: AssignmentItem, existing: dict | None, *, now_epoch: int, due_shards: int
) -> dict:
    """The index attributes of an assignment the scheduler runs (none otherwise: both indexes are
    sparse). It keeps its shard for life; its schedule restarts (`scheduledSince`) when it starts
    being run or its interval changes; a heartbeat's deadline is looked at now when it starts."""
    if not is_scheduled(assignment):
        return {}
    existing = existing or {}
    running = "dueShard" in existing
    shard = (
        existing["dueShard"]
        if running
        else keys.due_shard(assignment.system_id, assignment.configuration_id, due_shards)
    )
    unchanged = running and existing.get("intervalSeconds") == assignment.interval_seconds
    since = existing.get("scheduledSince") if unchanged else None
    attributes = {"dueShard": shard, "scheduledSince": now_epoch if since is None else since}
    if assignment.strategy_id == HEARTBEAT_STRATEGY_ID:
        attributes["nextDueAt"] = existing["nextDueAt"] if running and "nextDueAt" in existing else now_epoch
    return attributes


def _pair(item: dict) -> tuple[str, str]:
    return item["pk"]["S"].removeprefix("SYSTEM#"), item["sk"]["S"].removeprefix(ASSIGNMENT_PREFIX)


class ScheduleStore(TableBase):
    def due_shards(self, count: int) -> list[str]:
        """The names of the `count` shards of the scheduler's indexes."""
        return keys.all_due_shards(count)

    def shard_has_checks(self, shard: str) -> bool:
        """Whether any assignment is scheduled in `shard` (one item read from ByShard)."""
        request = self._shard_query(shard) | {"Limit": 1}
        with translated_errors():
            return bool(self._client.query(**request).get("Items"))

    def scheduled_checks(self, shard: str) -> list[dict]:
        """Every assignment scheduled in `shard` with what planning needs (ByShard, eventually
        consistent): systemId, configurationId, intervalSeconds, strategyId, scheduledSince."""
        found = []
        for item in self._all_pages(self._shard_query(shard)):
            system_id, configuration_id = _pair(item)
            found.append(
                {
                    "systemId": system_id,
                    "configurationId": configuration_id,
                    "intervalSeconds": int(item["intervalSeconds"]["N"]),
                    "strategyId": item.get("strategyId", {}).get("S"),
                    "scheduledSince": int(item["scheduledSince"]["N"]) if "scheduledSince" in item else None,
                }
            )
        return found

    def schedule_checkpoint(self, shard: str) -> int | None:
        """Up to when (epoch seconds, exclusive) the runs of `shard` were planned and sent; None at first."""
        item = self._get(keys.schedule_checkpoint_key(shard))
        return int(item["plannedThrough"]) if item else None

    def advance_checkpoint(self, shard: str, *, seen: int | None, planned_through: int) -> bool:
        """Move a shard's checkpoint on, only if it is still the one read (`seen`; None: none yet)."""
        condition = "attribute_not_exists(plannedThrough)" if seen is None else "plannedThrough = :seen"
        values: dict[str, Any] = {":through": planned_through} | ({} if seen is None else {":seen": seen})
        return self._update(
            keys.schedule_checkpoint_key(shard),
            "SET plannedThrough = :through",
            condition=condition,
            values=values,
        )

    def due_deadline_keys(self, shard: str, until_epoch: int) -> list[tuple[str, str]]:
        """(systemId, configurationId) of heartbeat deadlines before `until_epoch` in one shard of the
        sparse ByNextDue index (eventually consistent: callers re-read the items)."""
        request = {
            "TableName": self._table,
            "IndexName": DEADLINE_INDEX,
            "KeyConditionExpression": "dueShard = :shard AND nextDueAt < :until",
            "ExpressionAttributeValues": {":shard": {"S": shard}, ":until": {"N": str(until_epoch)}},
        }
        return [_pair(item) for item in self._all_pages(request)]

    def advance_deadline(
        self, system_id: str, configuration_id: str, *, seen_due: int, next_due: int
    ) -> bool:
        """Look at a heartbeat's deadline again at `next_due`, only if nobody moved it since we read it."""
        return self._update(
            keys.assignment_key(system_id, configuration_id),
            "SET nextDueAt = :next",
            condition="nextDueAt = :seen",
            values={":next": next_due, ":seen": seen_due},
        )

    def clear_deadline(
        self, system_id: str, configuration_id: str, *, seen_due: int, unschedule: bool
    ) -> None:
        """Take an assignment out of the deadline index (not a heartbeat), and with `unschedule` out of
        both indexes (it is not to be run: paused, disabled or satellite-only)."""
        self._update(
            keys.assignment_key(system_id, configuration_id),
            "REMOVE nextDueAt, dueShard, scheduledSince" if unschedule else "REMOVE nextDueAt",
            condition="nextDueAt = :seen",
            values={":seen": seen_due},
        )

    def _shard_query(self, shard: str) -> dict:
        return {
            "TableName": self._table,
            "IndexName": SHARD_INDEX,
            "KeyConditionExpression": "dueShard = :shard",
            "ExpressionAttributeValues": {":shard": {"S": shard}},
        }

    def _all_pages(self, request: dict) -> list[dict]:
        items: list[dict] = []
        with translated_errors():
            while True:
                answer = self._client.query(**request)
                items.extend(answer.get("Items", []))
                if "LastEvaluatedKey" not in answer:
                    return items
                request = request | {"ExclusiveStartKey": answer["LastEvaluatedKey"]}
