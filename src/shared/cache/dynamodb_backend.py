"""DynamoDB cache backend: the Redis protocol rebuilt from conditional writes on a table with TTL.

A value item is a lease (`kind` L, `token`) or data (`kind` D, `data` JSON), both labelled with the
family (`fam`) current when the lease was granted and valid until `until` (epoch ms). The family item
holds a number bumped in place. TTL (`expiresAt`) only collects garbage: it lags, so reads compare
`until` with the clock themselves.
"""

import json
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from shared.cache.backend import Held, Hit, Leased, Outcome, Value

BATCH_GET_LIMIT = 100
BATCH_GET_ATTEMPTS = 4
WRITE_CONCURRENCY = 16


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
        family_pk = self._family_pk(namespace)
        items = self._batch_get([family_pk, *(self._value_pk(namespace, key) for key in keys)])
        family_item = items.get(family_pk)
        if family_item is None:
            return {}
        family = int(family_item["fam"]["N"])
        now_ms = self._now_ms()
        found = {}
        for key in keys:
            item = items.get(self._value_pk(namespace, key))
            if item is not None and _is_data(item, now_ms) and int(item["fam"]["N"]) == family:
                found[key] = json.loads(item["data"]["S"])
        return found

    def acquire(self, namespace: str, keys: Sequence[str], token: str, lease_ms: int) -> dict[str, Outcome]:
        family = self._family(namespace)

        def grant(key: str) -> Outcome:
            now_ms = self._now_ms()
            try:
                self._call(
                    "put_item",
                    Item={
                        **self._key(self._value_pk(namespace, key)),
                        "kind": {"S": "L"},
                        "token": {"S": token},
                        "fam": {"N": str(family)},
                        **_expiry(now_ms + lease_ms),
                    },
                    # Free, expired, or labelled with an older family (stale data or a pre-bump lease).
                    ConditionExpression="attribute_not_exists(pk) OR #until <= :now OR #fam < :fam",
                    ExpressionAttributeNames={"#until": "until", "#fam": "fam"},
                    ExpressionAttributeValues={":now": {"N": str(now_ms)}, ":fam": {"N": str(family)}},
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as error:
                if _code(error) != "ConditionalCheckFailedException":
                    raise
                return _occupied(error.response.get("Item") or self._get(self._value_pk(namespace, key)))
            return Leased(str(family))

        return dict(zip(keys, self._each(grant, keys), strict=True))

    def fill(
        self, namespace: str, token: str, fills: Mapping[str, tuple[str, Value | None]], ttl_ms: int
    ) -> None:
        ours = {
            "ConditionExpression": "#kind = :lease AND #token = :token",
            "ExpressionAttributeNames": {"#kind": "kind", "#token": "token"},
            "ExpressionAttributeValues": {":lease": {"S": "L"}, ":token": {"S": token}},
        }

        def store(key: str) -> None:
            family, value = fills[key]
            pk = self._value_pk(namespace, key)
            try:
                if value is None:
                    self._call("delete_item", Key=self._key(pk), **ours)
                else:
                    item = {
                        **self._key(pk),
                        "kind": {"S": "D"},
                        "fam": {"N": family},
                        "data": {"S": json.dumps(value, separators=(",", ":"))},
                        **_expiry(self._now_ms() + ttl_ms),
                    }
                    self._call("put_item", Item=item, **ours)
            except ClientError as error:
                if _code(error) != "ConditionalCheckFailedException":
                    raise

        self._each(store, list(fills))

    def invalidate(self, namespace: str, key: str) -> None:
        self._call("delete_item", Key=self._key(self._value_pk(namespace, key)))

    def invalidate_family(self, namespace: str) -> None:
        self._call(
            "update_item",
            Key=self._key(self._family_pk(namespace)),
            UpdateExpression="SET #fam = if_not_exists(#fam, :fresh) + :one",
            ExpressionAttributeNames={"#fam": "fam"},
            ExpressionAttributeValues={":fresh": {"N": str(self._fresh_family())}, ":one": {"N": "1"}},
        )

    def _family(self, namespace: str) -> int:
        pk = self._family_pk(namespace)
        item = self._get(pk)
        if item is not None:
            return int(item["fam"]["N"])
        answer = self._call(
            "update_item",
            Key=self._key(pk),
            UpdateExpression="SET #fam = if_not_exists(#fam, :fresh)",
            ExpressionAttributeNames={"#fam": "fam"},
            ExpressionAttributeValues={":fresh": {"N": str(self._fresh_family())}},
            ReturnValues="UPDATED_NEW",
        )
        return int(answer["Attributes"]["fam"]["N"])

    def _each(self, call: Callable[[str], Any], keys: Sequence[str]) -> list[Any]:
        """Conditional writes have no batch form: run them concurrently (boto3 clients are thread-safe)."""
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
                answer = self._call("batch_get_item", RequestItems=request, table=False)
                for item in answer["Responses"].get(self._table, []):
                    items[item["pk"]["S"]] = item
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
            if request:
                raise RuntimeError("batch get left keys unprocessed")
        return items

    def _call(self, operation: str, *, table: bool = True, **kwargs: Any) -> dict[str, Any]:
        with self._lock:
            self.calls += 1
        if table:
            kwargs["TableName"] = self._table
        return getattr(self._client, operation)(**kwargs)

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def _family_pk(self, namespace: str) -> str:
        return f"{self._prefix}#{namespace}#family"

    def _value_pk(self, namespace: str, key: str) -> str:
        return f"{self._prefix}#{namespace}#v#{key}"

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
