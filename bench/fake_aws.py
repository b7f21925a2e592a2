"""Fast in-memory stand-ins for the low-level DynamoDB and SQS calls the scheduler makes, so that
100,000 due checks take seconds, not moto's minutes. They answer in the wire shapes of the real
APIs, refuse any request shape they do not know (so a change in the code shows up here), and can
be told to kill the process after a number of calls. tests/integration/test_latency_harness.py
checks their call counts against moto's for the same tick.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from botocore.exceptions import ClientError

from bench.capacity import item_size, read_units, write_units

QUERY_PAGE_BYTES = 1_000_000
INDEX_ENTRY_OVERHEAD_BYTES = 100  # DynamoDB counts 100 bytes more for every index entry
SHARD_INDEX_ATTRIBUTES = ("pk", "sk", "dueShard", "gsi1sk", "intervalSeconds", "strategyId", "scheduledSince")
DEADLINE_INDEX_ATTRIBUTES = ("pk", "sk", "dueShard", "nextDueAt")


class Killed(BaseException):
    """The Lambda runtime stopped the invocation (timeout, crash): nothing after it runs."""


class KillSwitch:
    """Raises `Killed` on the call after `after` calls across the clients that share it."""

    def __init__(self, after: int | None = None):
        self.after = after
        self.calls = 0

    def tick(self) -> None:
        self.calls += 1
        if self.after is not None and self.calls > self.after:
            raise Killed(f"killed after {self.after} calls")


def _condition_failed() -> ClientError:
    return ClientError(
        {"Error": {"Code": "ConditionalCheckFailedException", "Message": "failed"}}, "UpdateItem"
    )


class FakeDynamoDB:
    """The main table's items by (pk, sk), with the ByShard and ByNextDue indexes the scheduler
    queries; counts the request units of what it reads and writes (bench/capacity.py's rules, index
    entries 100 bytes larger, an index entry written when one appears, moves or goes: 1 unit each)."""

    def __init__(self, kill: KillSwitch | None = None):
        self.items: dict[tuple[str, str], dict] = {}
        self.kill = kill or KillSwitch()
        self._shards: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self.read_units = 0.0
        self.write_units = 0.0

    def put_item(self, *, TableName: str, Item: dict, **rest: Any) -> dict:
        assert not rest, f"unsupported put_item arguments {sorted(rest)}"
        key = (Item["pk"]["S"], Item["sk"]["S"])
        self._unindex(key)
        self.items[key] = dict(Item)
        self._index(key)
        return {}

    def move_to_shard(self, key: tuple[str, str], shard: str) -> None:
        """Tests: place an item in another shard of the scheduler's indexes."""
        self._unindex(key)
        self.items[key]["dueShard"] = {"S": shard}
        self._index(key)

    def _index(self, key: tuple[str, str]) -> None:
        if "dueShard" in self.items[key]:
            self._shards[self.items[key]["dueShard"]["S"]].add(key)

    def _unindex(self, key: tuple[str, str]) -> None:
        if key in self.items and "dueShard" in self.items[key]:
            self._shards[self.items[key]["dueShard"]["S"]].discard(key)

    def query(self, **request: Any) -> dict:
        self.kill.tick()
        index, condition = request.get("IndexName"), request.get("KeyConditionExpression")
        values = request["ExpressionAttributeValues"]
        shard = values[":shard"]["S"]
        if (index, condition) == ("ByShard", "dueShard = :shard"):
            found = sorted(
                (self.items[key]["gsi1sk"]["S"], key)
                for key in self._shards[shard]
                if "gsi1sk" in self.items[key]
            )
            attributes, position_of = SHARD_INDEX_ATTRIBUTES, lambda start: start["gsi1sk"]["S"]
        elif (index, condition) == ("ByNextDue", "dueShard = :shard AND nextDueAt < :until"):
            until = int(values[":until"]["N"])
            found = sorted(
                (int(self.items[key]["nextDueAt"]["N"]), key)
                for key in self._shards[shard]
                if "nextDueAt" in self.items[key] and int(self.items[key]["nextDueAt"]["N"]) < until
            )
            attributes, position_of = DEADLINE_INDEX_ATTRIBUTES, lambda start: int(start["nextDueAt"]["N"])
        else:
            raise NotImplementedError((index, condition))
        assert not request.get("ConsistentRead"), "an index is read eventually consistent"
        start = request.get("ExclusiveStartKey")
        if start:
            position = (position_of(start), (start["pk"]["S"], start["sk"]["S"]))
            found = [entry for entry in found if entry > position]
        page, size = [], 0
        for _, key in found[: request.get("Limit", len(found))]:
            entry = {name: value for name, value in self.items[key].items() if name in attributes}
            size += item_size(entry) + INDEX_ENTRY_OVERHEAD_BYTES
            if size > QUERY_PAGE_BYTES:
                break
            page.append(entry)
        self.read_units += read_units(size, consistent=False)
        answer: dict[str, Any] = {"Items": page}
        if len(page) < len(found):
            answer["LastEvaluatedKey"] = {
                name: page[-1][name] for name in ("pk", "sk", "dueShard", attributes[3]) if name in page[-1]
            }
        return answer

    def get_item(self, *, TableName: str, Key: dict, ConsistentRead: bool = False) -> dict:
        self.kill.tick()
        assert ConsistentRead, "GetItem: consistent"
        item = self.items.get((Key["pk"]["S"], Key["sk"]["S"]))
        self.read_units += read_units(item_size(item) if item else 0, consistent=True)
        return {"Item": dict(item)} if item else {}

    def batch_get_item(self, *, RequestItems: dict) -> dict:
        self.kill.tick()
        ((table, request),) = RequestItems.items()
        assert len(request["Keys"]) <= 100 and request.get("ConsistentRead"), (
            "BatchGetItem: <= 100, consistent"
        )
        found = [
            dict(self.items[(k["pk"]["S"], k["sk"]["S"])])
            for k in request["Keys"]
            if (k["pk"]["S"], k["sk"]["S"]) in self.items
        ]
        self.read_units += sum(read_units(item_size(item), consistent=True) for item in found)
        return {"Responses": {table: found}, "UnprocessedKeys": {}}

    def update_item(self, **request: Any) -> dict:
        self.kill.tick()
        key = (request["Key"]["pk"]["S"], request["Key"]["sk"]["S"])
        values = request["ExpressionAttributeValues"]
        condition, expression = request.get("ConditionExpression"), request["UpdateExpression"]
        item = self.items.get(key)
        if condition == "nextDueAt = :seen":
            if item is None or item.get("nextDueAt") != values[":seen"]:
                raise _condition_failed()
        elif condition == "plannedThrough = :seen":
            if item is None or item.get("plannedThrough") != values[":seen"]:
                raise _condition_failed()
        elif condition == "attribute_not_exists(plannedThrough)":
            if item is not None and "plannedThrough" in item:
                raise _condition_failed()
        else:
            raise NotImplementedError(condition)
        before = dict(item or {"pk": request["Key"]["pk"], "sk": request["Key"]["sk"]})
        after = dict(before)
        if expression == "SET nextDueAt = :next":
            after["nextDueAt"] = values[":next"]
        elif expression == "REMOVE nextDueAt":
            after.pop("nextDueAt", None)
        elif expression == "REMOVE nextDueAt, dueShard, scheduledSince":
            for name in ("nextDueAt", "dueShard", "scheduledSince"):
                after.pop(name, None)
        elif expression == "SET plannedThrough = :through":
            after["plannedThrough"] = values[":through"]
        else:
            raise NotImplementedError(expression)
        self.write_units += write_units(max(item_size(before), item_size(after)))
        self.write_units += _index_writes(before, after)
        self._unindex(key)
        self.items[key] = after
        self._index(key)
        return {}


def _index_writes(before: dict, after: dict) -> int:
    """Index entries written by an update: one per index an entry leaves or enters, two if it moves."""
    writes = 0
    for attributes in (SHARD_INDEX_ATTRIBUTES, DEADLINE_INDEX_ATTRIBUTES):
        keys = attributes[2:4]
        was, now = all(k in before for k in keys), all(k in after for k in keys)
        entry_before = {k: before[k] for k in attributes if k in before}
        entry_after = {k: after[k] for k in attributes if k in after}
        if was and now and entry_before != entry_after:
            writes += 2 if any(before[k] != after[k] for k in keys) else 1
        elif was != now:
            writes += 1
    return writes


class FakeSQS:
    """Every message sent, by queue URL, in order."""

    def __init__(self, kill: KillSwitch | None = None):
        self.messages: dict[str, list[dict]] = defaultdict(list)
        self.kill = kill or KillSwitch()

    def send_message_batch(self, *, QueueUrl: str, Entries: list[dict]) -> dict:
        self.kill.tick()
        assert 1 <= len(Entries) <= 10, "SendMessageBatch takes 1 to 10 entries"
        self.messages[QueueUrl].extend(Entries)
        return {
            "Successful": [
                {"Id": e["Id"], "MessageId": str(uuid.uuid4()), "MD5OfMessageBody": ""} for e in Entries
            ],
            "Failed": [],
        }
