"""Where moto's DynamoDB differs from the real service in ways this workload feels, made to match.

- Transactions: moto backs up every table a TransactWriteItems names with `copy.deepcopy` before
  it starts, so each transaction costs O(table), and a long run grows memory by megabytes a second.
  Here the transaction keeps the attributes of the items it touches only (their JSON, detached from
  the stored item: half the cost of a deep copy of the item), and a cancelled transaction puts
  those items back. This is correct because the emulation's server runs one call at a time
  (`local.aws_server`): nothing else writes between the copy and the undo.
- TTL: moto stores the TTL setting but never deletes; DynamoDB deletes expired items within days.
  `sweep_expired_items` deletes them; the runtime calls it every minute.
- Saves: once the state is kept on disk, every write notes the key it changed, so a save writes the
  items changed since the last one (`local.state_database`), not the whole table.
"""

from __future__ import annotations

import inspect
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

from local.dynamodb_cold_items import hot_items_of
from local.dynamodb_cold_items import installed as installed_cold_items

_installed = threading.Lock()
_moto_transact_write_items = DynamoDBBackend.transact_write_items


def dynamodb_backend(region: str) -> DynamoDBBackend:
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][region]


def install_item_level_transactions() -> None:
    """Replace moto's whole-table backup in TransactWriteItems by an item-level undo (idempotent)."""
    with _installed:
        DynamoDBBackend.transact_write_items = _transact_write_items


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    touched = _touched_items(self, transact_items)
    try:
        with _tables_not_copied():
            return _moto_transact_write_items(self, transact_items)
    except Exception:
        for table_name, key, before in reversed(touched):
            _put_back(self, table_name, key, before)
        raise


def _touched_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[tuple]:
    """(table, key, the item's attributes or None) for each item the transaction names."""
    touched = []
    for transact_item in transact_items[:100]:
        _, operation = next(iter(transact_item.items()))
        table_name = operation.get("TableName")
        if table_name not in backend.tables:
            continue
        table = backend.tables[table_name]
        key = _key_of(table, operation)
        if key is None:
            continue
        try:
            current = backend.get_item(table_name, key)
        except Exception:  # an invalid key: moto rejects the transaction before writing
            continue
        # Item.to_json copies maps, lists and sets (a set grows in place): later writes leave it as is.
        touched.append((table_name, key, None if current is None else current.to_json()["Attributes"]))
    return touched


def _key_of(table: Table, operation: dict[str, Any]) -> dict[str, Any] | None:
    if "Key" in operation:
        return operation["Key"]
    item = operation.get("Item") or {}
    key_attributes = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    if not all(name in item for name in key_attributes):
        return None
    return {name: item[name] for name in key_attributes}


def _put_back(backend: DynamoDBBackend, table_name: str, key: dict[str, Any], before: Any) -> None:
    if before is None:
        backend.delete_item(table_name, key)
    else:
        backend.put_item(table_name, before)


@contextmanager
def _tables_not_copied() -> Iterator[None]:
    # moto's own backup and restore become no-ops: the copy is the table itself, so "restoring"
    # it changes nothing, and the item-level undo above does the real work.
    Table.__deepcopy__ = lambda table, memo: table
    try:
        yield
    finally:
        del Table.__deepcopy__


def sweep_expired_items(backend: DynamoDBBackend, now: float | None = None) -> int:
    """Delete every item whose TTL attribute is a number of epoch seconds in the past; returns how many."""
    now = time.time() if now is None else now
    cold_items = installed_cold_items()
    deleted = 0
    for table in list(backend.tables.values()):
        if table.ttl.get("TimeToLiveStatus") != "ENABLED":
            continue
        attribute = table.ttl.get("AttributeName")
        for item in hot_items_of(table):
            expires = item.attrs.get(attribute)
            if expires is not None and expires.type == "N" and float(expires.value) < now:
                table.delete_item(item.hash_key, item.range_key)
                deleted += 1
        for hash_key, range_key in cold_items.expired_keys(table, now) if cold_items else ():
            table.delete_item(hash_key, range_key)
            deleted += 1
    return deleted


# Queries: moto answers every Query, on the table or an index, by walking all the table's items, so
# a query costs O(table) where DynamoDB reads one partition. Here a query sees only its partition:
# the table's own (moto keeps items by partition key already) or an index's, kept in step with
# every write below. Like the undo above, this relies on the server's one-call-at-a-time lock.
_moto_query = Table.query
_moto_all_items = Table.all_items
_query_partition = threading.local()
_moto_table_put_item = Table.put_item
_moto_table_delete_item = Table.delete_item
moto_update_item = DynamoDBBackend.update_item
_QUERY_PARAMETERS = list(inspect.signature(_moto_query).parameters)[1:]


def install_partition_queries() -> None:
    """Make Query read one partition of the table or of a global secondary index (idempotent)."""
    with _installed:
        Table.query = _query
        Table.all_items = _all_items
        Table.put_item = _table_put_item
        Table.delete_item = _table_delete_item
        DynamoDBBackend.update_item = _update_item


def _query(self: Table, *args: Any, **kwargs: Any) -> Any:
    arguments = {**dict(zip(_QUERY_PARAMETERS, args, strict=False)), **kwargs}
    partition = _partition(self, arguments.get("index_name"), arguments)
    if partition is None:
        return _moto_query(self, *args, **kwargs)
    # Per thread: in-process tests query moto from several threads at once.
    _query_partition.current = (self, partition)
    try:
        return _moto_query(self, *args, **kwargs)
    finally:
        _query_partition.current = None


def _all_items(self: Table) -> list:
    """The partition a query of this thread reads, else every item (moto's own)."""
    current = getattr(_query_partition, "current", None)
    if current is not None and current[0] is self:
        return current[1]
    return _moto_all_items(self)


def _partition(table: Table, index_name: str | None, arguments: dict[str, Any]) -> list | None:
    """The items a query can match, or None when it is not a plain partition-key query."""
    hash_key = arguments.get("hash_key")
    conditions = arguments.get("hash_key_conditions") or []
    if not index_name:
        if hash_key is None:
            return None
        found = table.items.get(hash_key)
        if found is None:
            return []
        return list(found.values()) if table.range_key_attr else [found]
    index = _index_partitions(table).get(index_name)
    if index is None or len(conditions) > 1:
        return None
    attribute, partitions = index
    value = conditions[0][1] if conditions and conditions[0][0] == attribute else hash_key
    return None if value is None else list(partitions.get(value, {}).values())


def _index_partitions(table: Table) -> dict[str, tuple[str, dict]]:
    """Per global secondary index with one partition key: (its attribute, {value: {item key: item}})."""
    indexes = table.__dict__.get("_local_partitions")
    if indexes is None:
        indexes = {}
        for index in table.global_indexes:
            hash_attributes = [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"]
            if len(hash_attributes) == 1:
                indexes[index.name] = (hash_attributes[0], {})
        for item in table.all_items():
            _index_item(indexes, item)
        table.__dict__["_local_partitions"] = indexes
    return indexes


def _index_item(indexes: dict, item: Any) -> None:
    for attribute, partitions in indexes.values():
        value = item.attrs.get(attribute)
        if value is not None:
            partitions.setdefault(value, {})[(item.hash_key, item.range_key)] = item


def _unindex_item(indexes: dict, item: Any) -> None:
    for attribute, partitions in indexes.values():
        value = item.attrs.get(attribute)
        members = partitions.get(value) if value is not None else None
        if members is not None:
            members.pop((item.hash_key, item.range_key), None)
            if not members:
                del partitions[value]


def item_key(hash_key: Any, range_key: Any) -> str:
    """The key of an item in a saved snapshot: its key attributes' values as JSON."""
    return json.dumps([hash_key.to_json(), range_key.to_json() if range_key is not None else None])


def track_changes(table: Table) -> None:
    """From now on the table notes the key of every item written or deleted."""
    table.__dict__.setdefault("_changed", {})


def forget_changes(table: Table) -> None:
    """Start afresh: what was noted so far is not a change."""
    if "_changed" in table.__dict__:
        table.__dict__["_changed"] = {}


def take_changes(table: Table) -> dict[str, Any]:
    """The items changed since the last call, by saved key (moto's own objects, in memory; None:
    deleted), and start afresh."""
    changed = table.__dict__.get("_changed")
    if changed is None:
        return {}
    table.__dict__["_changed"] = {}
    return {
        item_key(hash_key, range_key): table.get_item(hash_key, range_key) for hash_key, range_key in changed
    }


def _note_change(table: Table, hash_key: Any, range_key: Any) -> None:
    changed = table.__dict__.get("_changed")
    if changed is not None:
        changed[(hash_key, range_key)] = None


def _table_put_item(self: Table, *args: Any, **kwargs: Any) -> Any:
    indexes = self.__dict__.get("_local_partitions")
    item_attrs = args[0] if args else kwargs["item_attrs"]
    before = _current(self, item_attrs) if indexes else None
    item = _moto_table_put_item(self, *args, **kwargs)
    _note_change(self, item.hash_key, item.range_key)
    if indexes:
        if before is not None:
            _unindex_item(indexes, before)
        _index_item(indexes, item)
    return item


def _table_delete_item(self: Table, hash_key: Any, range_key: Any) -> Any:
    item = _moto_table_delete_item(self, hash_key, range_key)
    if item is not None:
        _note_change(self, item.hash_key, item.range_key)
    indexes = self.__dict__.get("_local_partitions")
    if indexes and item is not None:
        _unindex_item(indexes, item)
    return item


def _update_item(
    self: DynamoDBBackend, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any
) -> Any:
    # moto changes the stored item in place, so its index entries are moved around the call.
    table = self.get_table(table_name)
    indexes = table.__dict__.get("_local_partitions")
    before = _current(table, key) if indexes else None
    if before is not None:
        _unindex_item(indexes, before)
    try:
        return moto_update_item(self, table_name, key, *args, **kwargs)
    finally:
        after = _current(table, key) if indexes or "_changed" in table.__dict__ else None
        if after is not None:
            _note_change(table, after.hash_key, after.range_key)
            if indexes:
                _index_item(indexes, after)


def _current(table: Table, attributes: dict[str, Any]) -> Any:
    hash_value = attributes.get(table.hash_key_attr)
    if hash_value is None:
        return None
    range_value = attributes.get(table.range_key_attr) if table.range_key_attr else None
    return table.get_item(DynamoType(hash_value), DynamoType(range_value) if range_value else None)
