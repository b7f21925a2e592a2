"""The table primitives every part of the repository shares: get, query, page, transact, batch."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from shared.data import keys, table
from shared.data.table import (
    cancellation_reasons,
    decode_cursor,
    deserialize,
    encode_cursor,
    error_code,
    invalid_cursor,
    serialize,
    translated_errors,
)
from shared.domain.errors import ThrottledError
from shared.domain.records import Page
from shared.retry import CONFLICTS, UNPROCESSED, RetryPolicy, retry

R = TypeVar("R")

BATCH_GET_LIMIT = 100
BATCH_WRITE_LIMIT = 25
TRANSACT_LIMIT = 100
TABLE_KEY = frozenset({"pk", "sk"})
INDEX_KEY = frozenset({"gsi1pk", "gsi1sk"})


class TransactionConflict(Exception):
    """A transaction was cancelled by a failed condition; `reasons[i]` is the code of item i."""

    def __init__(self, reasons: list[str]):
        super().__init__(",".join(reasons))
        self.reasons = reasons


class TableBase:
    """Holds the low-level client and the table name; every call goes through here."""

    def __init__(
        self,
        client: Any,
        table_name: str,
        *,
        conflicts: RetryPolicy = CONFLICTS,
        unprocessed: RetryPolicy = UNPROCESSED,
    ):
        self._client = client
        self._table = table_name
        self._conflicts = conflicts
        self._unprocessed = unprocessed

    # --- single items --------------------------------------------------------------------

    def _get(self, key: dict, *, consistent: bool = True) -> dict | None:
        with translated_errors():
            answer = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=consistent)
        item = answer.get("Item")
        return deserialize(item) if item else None

    def _put(self, attributes: dict, *, condition: str | None = None, values: dict | None = None) -> bool:
        """Put an item; False when `condition` failed (nothing written)."""
        request: dict[str, Any] = {"TableName": self._table, "Item": serialize(attributes)}
        if condition:
            request["ConditionExpression"] = condition
        if values:
            request["ExpressionAttributeValues"] = serialize(values)
        return self._conditional(self._client.put_item, request)

    def _update(
        self,
        key: dict,
        expression: str,
        *,
        condition: str | None = None,
        values: dict | None = None,
        names: dict | None = None,
    ) -> bool:
        """Update an item in place; False when `condition` failed (nothing written)."""
        request: dict[str, Any] = {"TableName": self._table, "Key": key, "UpdateExpression": expression}
        if condition:
            request["ConditionExpression"] = condition
        if values:
            request["ExpressionAttributeValues"] = serialize(values)
        if names:
            request["ExpressionAttributeNames"] = names
        return self._conditional(self._client.update_item, request)

    @staticmethod
    def _conditional(call: Callable[..., Any], request: dict) -> bool:
        try:
            with translated_errors():
                call(**request)
        except ClientError as error:
            if "ConditionExpression" in request and error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _delete(self, key: dict, *, condition: str | None = None) -> dict | None:
        """Delete an item and return it; None when it was not there or `condition` failed."""
        request: dict[str, Any] = {"TableName": self._table, "Key": key, "ReturnValues": "ALL_OLD"}
        if condition:
            request["ConditionExpression"] = condition
        try:
            with translated_errors():
                answer = self._client.delete_item(**request)
        except ClientError as error:
            if condition and error_code(error) == "ConditionalCheckFailedException":
                return None  # the condition is always "it exists": callers answer NotFound
            raise
        old = answer.get("Attributes")
        return deserialize(old) if old else None

    # --- queries -------------------------------------------------------------------------

    def _query_page(
        self,
        partition: str,
        *,
        sk_prefix: str | None = None,
        sk_between: tuple[str, str] | None = None,
        limit: int = 100,
        cursor: str | None = None,
        newest_first: bool = False,
        index: str | None = None,
        filter_expression: str | None = None,
        filter_values: dict | None = None,
        filter_names: dict | None = None,
    ) -> Page:
        pk_attr, sk_attr = ("gsi1pk", "gsi1sk") if index == "ByType" else ("pk", "sk")
        condition = "#pk = :pk"
        names = {"#pk": pk_attr}
        values: dict[str, Any] = {":pk": partition}
        if sk_prefix is not None:
            condition += " AND begins_with(#sk, :prefix)"
            names["#sk"] = sk_attr
            values[":prefix"] = sk_prefix
        elif sk_between is not None and not sk_between[0]:
            # DynamoDB refuses an empty string in a key condition: an empty low bound means "from the start".
            condition += " AND #sk <= :high"
            names["#sk"] = sk_attr
            values[":high"] = sk_between[1]
        elif sk_between is not None:
            condition += " AND #sk BETWEEN :low AND :high"
            names["#sk"] = sk_attr
            values[":low"], values[":high"] = sk_between
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names | (filter_names or {}),
            "ExpressionAttributeValues": serialize(values | (filter_values or {})),
            "Limit": limit,
            "ScanIndexForward": not newest_first,
        }
        if index:
            request["IndexName"] = index
        else:
            request["ConsistentRead"] = True
        if filter_expression:
            request["FilterExpression"] = filter_expression
        key_attributes = TABLE_KEY | (INDEX_KEY if index == "ByType" else frozenset())
        start = decode_cursor(
            cursor, partition_attribute=pk_attr, expected_partition=partition, key_attributes=key_attributes
        )
        if start and not _within(start[sk_attr]["S"], sk_prefix, sk_between):
            raise invalid_cursor()  # DynamoDB refuses a start key outside the key condition
        if start:
            request["ExclusiveStartKey"] = start
        items: list[dict] = []
        with translated_errors():
            while True:
                answer = self._client.query(**request)
                items.extend(deserialize(item) for item in answer.get("Items", []))
                last = answer.get("LastEvaluatedKey")
                # A filter may leave a page short; keep reading until it is full or the list ends.
                if not last or len(items) >= limit or not filter_expression:
                    break
                request["ExclusiveStartKey"] = last
                request["Limit"] = limit - len(items)
        return Page(items=items, next_cursor=encode_cursor(last))

    def _query_all(self, partition: str, *, sk_prefix: str | None = None) -> list[dict]:
        """Every item of a (small) partition, strongly consistent."""
        items: list[dict] = []
        cursor = None
        while True:
            page = self._query_page(partition, sk_prefix=sk_prefix, limit=1000, cursor=cursor)
            items.extend(page.items)
            if not page.next_cursor:
                return items
            cursor = page.next_cursor

    def _list_type(self, kind: str, *, limit: int, cursor: str | None) -> Page:
        return self._query_page(keys.type_partition(kind), index="ByType", limit=limit, cursor=cursor)

    # --- batches and transactions --------------------------------------------------------

    def _batch_get(self, item_keys: list[dict], *, consistent: bool = True) -> list[dict]:
        found: list[dict] = []
        for start in range(0, len(item_keys), BATCH_GET_LIMIT):
            pending = {
                self._table: {
                    "Keys": item_keys[start : start + BATCH_GET_LIMIT],
                    "ConsistentRead": consistent,
                }
            }
            for answer in self._until_processed(self._client.batch_get_item, pending, "UnprocessedKeys"):
                found.extend(deserialize(item) for item in answer.get("Responses", {}).get(self._table, []))
        return found

    def _batch_write(self, puts: Iterable[dict] = (), deletes: Iterable[dict] = ()) -> int:
        requests = [{"PutRequest": {"Item": serialize(item)}} for item in puts]
        requests += [{"DeleteRequest": {"Key": key}} for key in deletes]
        calls = 0
        for start in range(0, len(requests), BATCH_WRITE_LIMIT):
            pending = {self._table: requests[start : start + BATCH_WRITE_LIMIT]}
            for _ in self._until_processed(self._client.batch_write_item, pending, "UnprocessedItems"):
                calls += 1
        return calls

    def _until_processed(self, call: Callable[..., dict], pending: dict, unprocessed: str) -> Iterator[dict]:
        """Send a batch, then what DynamoDB handed back unprocessed, with back-off, within the bound."""
        for _ in self._unprocessed.tries():
            with translated_errors():
                answer = call(RequestItems=pending)
            yield answer
            pending = answer.get(unprocessed) or {}
            if not pending:
                return
        raise _still_unprocessed()

    def _retry_conflicts(self, attempt: Callable[[], R], *, once: bool = False) -> R:
        """Run a read-modify-write attempt again, with back-off, while it loses to another writer."""
        if once:
            return attempt()
        return retry(attempt, on=TransactionConflict, policy=self._conflicts)

    def _transact(self, operations: list[dict]) -> None:
        """Run one transaction; a failed condition raises TransactionConflict with per-item reasons."""
        for operation in operations:
            for body in operation.values():
                body["TableName"] = self._table
        try:
            with translated_errors():
                self._client.transact_write_items(TransactItems=operations)
        except ClientError as error:
            if error_code(error) == "TransactionCanceledException":
                raise TransactionConflict(cancellation_reasons(error)) from error
            raise

    put_op = staticmethod(table.put_op)
    delete_op = staticmethod(table.delete_op)
    check_op = staticmethod(table.check_op)
    update_op = staticmethod(table.update_op)


def _within(sort_key: str, prefix: str | None, between: tuple[str, str] | None) -> bool:
    if prefix is not None:
        return sort_key.startswith(prefix)
    if between is not None:
        return (not between[0] or between[0] <= sort_key) and sort_key <= between[1]
    return True


def strip_keys(item: dict) -> dict:
    """The stored attributes without the table's key and index attributes."""
    return {
        k: v
        for k, v in item.items()
        if k not in {"pk", "sk", "gsi1pk", "gsi1sk", "dueShard", "nextDueAt", "scheduledSince"}
    }


def _still_unprocessed() -> ThrottledError:
    # DynamoDB hands items back unprocessed only when it throttles; after the back-off the caller
    # is told to come back later instead of looping without bound.
    return ThrottledError("the store is busy; retry later", retry_after_seconds=1)
