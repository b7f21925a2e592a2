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

QUERY_PAGE_BYTES = 1_000_000
INDEX_ENTRY_BYTES = 110  # a keys-only ByNextDue entry: pk, sk, dueShard, nextDueAt


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
    """The main table's items by (pk, sk), with the ByNextDue index the scheduler queries."""

    def __init__(self, kill: KillSwitch | None = None):
        self.items: dict[tuple[str, str], dict] = {}
        self.kill = kill or KillSwitch()
        self._shards: dict[str, set[tuple[str, str]]] = defaultdict(set)

    def put_item(self, *, TableName: str, Item: dict, **rest: Any) -> dict:
        assert not rest, f"unsupported put_item arguments {sorted(rest)}"
        key = (Item["pk"]["S"], Item["sk"]["S"])
        self._unindex(key)
        self.items[key] = dict(Item)
        self._index(key)
        return {}

    def move_to_shard(self, key: tuple[str, str], shard: str) -> None:
        """Tests: place an item in another shard of the due index."""
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
        if request.get("KeyConditionExpression") != "dueShard = :shard AND nextDueAt < :until":
            raise NotImplementedError(request.get("KeyConditionExpression"))
        values = request["ExpressionAttributeValues"]
        shard, until = values[":shard"]["S"], int(values[":until"]["N"])
        found = sorted(
            (int(self.items[key]["nextDueAt"]["N"]), key)
            for key in self._shards[shard]
            if int(self.items[key]["nextDueAt"]["N"]) < until
        )
        start = request.get("ExclusiveStartKey")
        if start:
            position = (int(start["nextDueAt"]["N"]), (start["pk"]["S"], start["sk"]["S"]))
            found = [entry for entry in found if entry > position]
        page = found[: QUERY_PAGE_BYTES // INDEX_ENTRY_BYTES]
        answer: dict[str, Any] = {"Items": [self._index_entry(key) for _, key in page]}
        if len(page) < len(found):
            answer["LastEvaluatedKey"] = self._index_entry(page[-1][1])
        return answer

    def _index_entry(self, key: tuple[str, str]) -> dict:
        item = self.items[key]
        return {name: item[name] for name in ("pk", "sk", "dueShard", "nextDueAt")}

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
        return {"Responses": {table: found}, "UnprocessedKeys": {}}

    def update_item(self, **request: Any) -> dict:
        self.kill.tick()
        key = (request["Key"]["pk"]["S"], request["Key"]["sk"]["S"])
        values = request["ExpressionAttributeValues"]
        item = self.items.get(key)
        if request.get("ConditionExpression") != "nextDueAt = :seen":
            raise NotImplementedError(request.get("ConditionExpression"))
        if item is None or item.get("nextDueAt") != values[":seen"]:
            raise _condition_failed()
        expression = request["UpdateExpression"]
        self._unindex(key)
        if expression == "SET nextDueAt = :next, dueShard = :shard":
            item["nextDueAt"], item["dueShard"] = values[":next"], values[":shard"]
        elif expression == "REMOVE nextDueAt, dueShard":
            item.pop("nextDueAt", None)
            item.pop("dueShard", None)
        else:
            raise NotImplementedError(expression)
        self._index(key)
        return {}


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
