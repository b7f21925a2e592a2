"""DynamoDB cache backend: the Redis protocol rebuilt from conditional writes on a table with TTL.

A value item is a lease (`kind` L, `token`) or data (`kind` D, `data` JSON), both labelled with the
family (`fam`) current when the lease was granted and valid until `until` (epoch ms). TTL (`expiresAt`)
only collects garbage: it lags, so reads compare `until` with the clock themselves.

No hot item: the family is sharded. A key belongs to one of `FAMILY_SHARDS` family items (crc32 of the
key), reads compare a value's label with its own shard only, and `invalidate_family` bumps every shard
before it returns. A read that starts after that return reads every shard bumped, so data labelled
before the bump is a miss, and a lease granted after it loads after the mutation: no stale serve or
fill. A namespace of one owner (`<kind>:<owner>`, e.g. `availability:<system>`) is read a few times per
change, never by every lookup: it keeps one family item, so its bump is one write, not sixteen.
Leases and fills go in TransactWriteItems of 100 conditional writes (`dynamodb_writes`), not one call
per key.
"""

import json
import math
import threading
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from shared.cache.backend import Held, Hit, Leased, Outcome, Value
from shared.cache.dynamodb_writes import Write, write_conditionally

BATCH_GET_LIMIT = 100
BATCH_GET_ATTEMPTS = 4
WRITE_CONCURRENCY = 16
FAMILY_SHARDS = 16

_LEASE_IS_OURS = {
    "ConditionExpression": "#kind = :lease AND #token = :token",
    "ExpressionAttributeNames": {"#kind": "kind", "#token": "token"},
}


def family_shards(namespace: str) -> int:
    """How many family items a namespace has: one for a namespace of one owner (`<kind>:<owner>`)."""
    return 1 if ":" in namespace else FAMILY_SHARDS


def family_shard(namespace: str, key: str) -> int:
    """The family shard of a key: the same in every process (crc32, not Python's salted hash)."""
    return zlib.crc32(key.encode()) % family_shards(namespace)


class DynamoDBBackend:
    """`calls` counts DynamoDB requests so tests and benchmarks can assert on them."""

    def __init__(
        self,
        client: Any,
        table_name: str,
        clock: Callable[[], float] = time.time,
        *,
        prefix: str = "cache",
    ) -> None:
        self._client = client
        self._table = table_name
        self._clock = clock
        self._prefix = prefix
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self.calls = 0

    def lookup(self, namespace: str, keys: Sequence[str]) -> dict[str, Value]:
        shards = sorted({family_shard(namespace, key) for key in keys})
        family_pks = [self.family_pk(namespace, shard) for shard in shards]
        items = self._batch_get([*family_pks, *(self.value_pk(namespace, key) for key in keys)])
        families = {
            shard: int(items[pk]["fam"]["N"])
            for shard, pk in zip(shards, family_pks, strict=True)
            if pk in items
        }
        now_ms = self._now_ms()
        found = {}
        for key in keys:
            item = items.get(self.value_pk(namespace, key))
            family = families.get(family_shard(namespace, key))
            if (
                family is not None
                and item is not None
                and _is_data(item, now_ms)
                and int(item["fam"]["N"]) == family
            ):
                found[key] = json.loads(item["data"]["S"])
        return found

    def acquire(self, namespace: str, keys: Sequence[str], token: str, lease_ms: int) -> dict[str, Outcome]:
        families = self._families(namespace, {family_shard(namespace, key) for key in keys})
        now_ms = self._now_ms()

        def lease(key: str) -> dict[str, Any]:
            family = str(families[family_shard(namespace, key)])
            return {
                "TableName": self._table,
                "Item": {
                    **self._key(self.value_pk(namespace, key)),
                    "kind": {"S": "L"},
                    "token": {"S": token},
                    "fam": {"N": family},
                    **_expiry(now_ms + lease_ms),
                },
                # Free, expired, or labelled with an older family (stale data or a pre-bump lease).
                "ConditionExpression": "attribute_not_exists(pk) OR #until <= :now OR #fam < :fam",
                "ExpressionAttributeNames": {"#until": "until", "#fam": "fam"},
                "ExpressionAttributeValues": {":now": {"N": str(now_ms)}, ":fam": {"N": family}},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }

        refused = self._write_all(namespace, {key: ("Put", lease(key)) for key in keys})
        return {
            key: _occupied(refused[key] or self._get(self.value_pk(namespace, key)))
            if key in refused
            else Leased(str(families[family_shard(namespace, key)]))
            for key in keys
        }

    def fill(
        self, namespace: str, token: str, fills: Mapping[str, tuple[str, Value | None]], ttl_ms: int
    ) -> None:
        ours = {**_LEASE_IS_OURS, "ExpressionAttributeValues": {":lease": {"S": "L"}, ":token": {"S": token}}}
        until_ms = self._now_ms() + ttl_ms
        writes: dict[str, Write] = {}
        for key, (family, value) in fills.items():
            pk = self._key(self.value_pk(namespace, key))
            if value is None:
                writes[key] = ("Delete", {"TableName": self._table, "Key": pk, **ours})
            else:
                item = {
                    **pk,
                    "kind": {"S": "D"},
                    "fam": {"N": family},
                    "data": {"S": json.dumps(value, separators=(",", ":"))},
                    **_expiry(until_ms),
                }
                writes[key] = ("Put", {"TableName": self._table, "Item": item, **ours})
        self._write_all(namespace, writes)

    def invalidate(self, namespace: str, key: str) -> None:
        self._call("delete_item", Key=self._key(self.value_pk(namespace, key)))

    def invalidate_family(self, namespace: str) -> None:
        def bump(shard: int) -> None:
            self._call(
                "update_item",
                Key=self._key(self.family_pk(namespace, shard)),
                UpdateExpression="SET #fam = if_not_exists(#fam, :fresh) + :one",
                ExpressionAttributeNames={"#fam": "fam"},
                ExpressionAttributeValues={":fresh": {"N": str(self._fresh_family())}, ":one": {"N": "1"}},
            )

        # Returns only once every shard is bumped (an error in any shard raises: not acknowledged).
        self._each(bump, list(range(family_shards(namespace))))

    def family_pk(self, namespace: str, shard: int) -> str:
        """The key of one family shard's item."""
        return f"{self._prefix}#{namespace}#family#{shard}"

    def value_pk(self, namespace: str, key: str) -> str:
        """The key of one cached value's item."""
        return f"{self._prefix}#{namespace}#v#{key}"

    def _families(self, namespace: str, shards: set[int]) -> dict[int, int]:
        ordered = sorted(shards)
        items = self._batch_get([self.family_pk(namespace, shard) for shard in ordered])
        families = {}
        for shard in ordered:
            item = items.get(self.family_pk(namespace, shard))
            families[shard] = (
                int(item["fam"]["N"]) if item is not None else self._create_family(namespace, shard)
            )
        return families

    def _create_family(self, namespace: str, shard: int) -> int:
        answer = self._call(
            "update_item",
            Key=self._key(self.family_pk(namespace, shard)),
            UpdateExpression="SET #fam = if_not_exists(#fam, :fresh)",
            ExpressionAttributeNames={"#fam": "fam"},
            ExpressionAttributeValues={":fresh": {"N": str(self._fresh_family())}},
            ReturnValues="UPDATED_NEW",
        )
        return int(answer["Attributes"]["fam"]["N"])

    def _write_all(self, namespace: str, writes: Mapping[str, Write]) -> dict[str, dict[str, Any] | None]:
        """Conditional writes in transactions of 100; {key: the item that refused it} for the refused."""

        def single(key: str) -> tuple[bool, dict[str, Any] | None]:
            kind, request = writes[key]
            request = {name: value for name, value in request.items() if name != "TableName"}
            try:
                self._call("put_item" if kind == "Put" else "delete_item", **request)
            except ClientError as error:
                if _code(error) != "ConditionalCheckFailedException":
                    raise
                return False, error.response.get("Item")
            return True, None

        return write_conditionally(self._call_plain, writes, single)

    def _each(self, call: Callable[[Any], Any], keys: Sequence[Any]) -> list[Any]:
        """Run independent writes concurrently (boto3 clients are thread-safe)."""
        if len(keys) <= 1:
            return [call(key) for key in keys]
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=WRITE_CONCURRENCY, thread_name_prefix="cache-ddb")
        return list(self._pool.map(call, keys))

    def _fresh_family(self) -> int:
        # A lost family item comes back as the clock in microseconds, above every earlier family.
        return int(self._clock() * 1_000_000)

    def _get(self, pk: str) -> dict[str, Any] | None:
        return self._call("get_item", Key=self._key(pk), ConsistentRead=True).get("Item")

    def _batch_get(self, pks: list[str]) -> dict[str, dict[str, Any]]:
        items: dict[str, dict[str, Any]] = {}
        for start in range(0, len(pks), BATCH_GET_LIMIT):
            request: dict[str, Any] = {
                self._table: {
                    "Keys": [self._key(pk) for pk in pks[start : start + BATCH_GET_LIMIT]],
                    "ConsistentRead": True,
                }
            }
            for _ in range(BATCH_GET_ATTEMPTS):
                answer = self._call_plain("batch_get_item", RequestItems=request)
                for item in answer["Responses"].get(self._table, []):
                    items[item["pk"]["S"]] = item
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
            if request:
                raise RuntimeError("batch get left keys unprocessed")
        return items

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        return self._call_plain(operation, TableName=self._table, **kwargs)

    def _call_plain(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        with self._lock:
            self.calls += 1
        return getattr(self._client, operation)(**kwargs)

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    @staticmethod
    def _key(pk: str) -> dict[str, Any]:
        return {"pk": {"S": pk}}


def _expiry(until_ms: int) -> dict[str, Any]:
    return {"until": {"N": str(until_ms)}, "expiresAt": {"N": str(math.ceil(until_ms / 1000))}}


def _is_data(item: dict[str, Any], now_ms: int) -> bool:
    return item["kind"]["S"] == "D" and int(item["until"]["N"]) > now_ms


def _occupied(item: dict[str, Any] | None) -> Outcome:
    """What stopped our lease: live data is a hit, anything else is someone's lease."""
    if item is None:
        return Held("")
    if item["kind"]["S"] == "D":
        return Hit(json.loads(item["data"]["S"]))
    return Held(item["token"]["S"])


def _code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")
