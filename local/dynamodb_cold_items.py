"""Bounded memory for the DynamoDB emulation: items nobody has touched lately wait on disk.

moto keeps every item as Python objects, about 4 KB for a 1 KB run, so a twin that stores 30 runs
a second grows by ~7 MB a minute for as long as the runs are kept (a day at least). Here a table
with a sort key keeps at most `hot_items` items in moto's own dictionaries (least recently used
first out); the others are written as JSON to a SQLite file and read back when a call touches them.
DynamoDB itself reads from storage, so nothing a client sees changes: a key lookup, a query or a
scan finds a cold item as it finds a hot one.

How it fits into moto: a table's `items` (a partition key -> {sort key -> Item} mapping) becomes a
`_Partitions` mapping of `_Partition` dictionaries that hold the hot items and know how many of
theirs are cold. A lookup by key brings a cold item back (moto changes items in place, so the one
it gets must be the one kept); iterating a partition reads its cold items without bringing them
back (moto only reads what it iterates). Items are sent to disk only between two calls (the server
runs one call at a time, `local.aws_server`), when no call holds one.

Items that carry a global secondary index's key stay in memory: the partition index of
`local.dynamodb_fidelity` keeps references to them. They are the configuration-like items, not the
history, so their number does not grow with time.

The file is SQLite's private temporary database (opened with an empty name: SQLite deletes it when
the process ends, however it ends). It extends the process's memory; the state of record is the
data directory's state database (`local.state_database`).
"""

from __future__ import annotations

import json
import sqlite3
from collections import OrderedDict
from typing import Any

from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

from local.settings import DEFAULT_HOT_ITEMS

_tiers: list[ColdItems] = []
_moto_table_init = Table.__init__


class ColdItems:
    """The SQLite file, and which hot items were used least recently (shared by the process's tables)."""

    def __init__(self, hot_items: int = DEFAULT_HOT_ITEMS):
        self.hot_items = hot_items
        self.database = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        self.database.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            CREATE TABLE item (
                tbl TEXT, pk TEXT, sk TEXT, expires REAL, body TEXT,
                PRIMARY KEY (tbl, pk, sk)) WITHOUT ROWID;
            CREATE INDEX item_expiry ON item (tbl, expires) WHERE expires IS NOT NULL;
            """
        )
        # (partition, sort key) -> None, least recently used first.
        self.recently_used: OrderedDict[tuple[_Partition, DynamoType], None] = OrderedDict()
        self.moved_out = 0
        self.brought_back = 0

    # -- used by the partitions -------------------------------------------------------------------
    def touch(self, partition: _Partition, sort_key: DynamoType) -> None:
        entry = (partition, sort_key)
        if entry in self.recently_used:
            self.recently_used.move_to_end(entry)
        else:
            self.recently_used[entry] = None

    def forget(self, partition: _Partition, sort_key: DynamoType) -> None:
        self.recently_used.pop((partition, sort_key), None)

    def read(self, partition: _Partition, sort_key: DynamoType) -> Item | None:
        row = self.database.execute(
            "SELECT body FROM item WHERE tbl = ? AND pk = ? AND sk = ?",
            (partition.table_name, partition.encoded_key, _encoded(sort_key)),
        ).fetchone()
        return None if row is None else Item(partition.hash_key, sort_key, json.loads(row[0]))

    def read_partition(self, partition: _Partition) -> list[Item]:
        rows = self.database.execute(
            "SELECT sk, body FROM item WHERE tbl = ? AND pk = ?",
            (partition.table_name, partition.encoded_key),
        )
        return [Item(partition.hash_key, _decoded(sk), json.loads(body)) for sk, body in rows]

    def remove(self, partition: _Partition, sort_key: DynamoType) -> None:
        self.database.execute(
            "DELETE FROM item WHERE tbl = ? AND pk = ? AND sk = ?",
            (partition.table_name, partition.encoded_key, _encoded(sort_key)),
        )

    # -- between calls ----------------------------------------------------------------------------
    def move_out_least_used(self) -> int:
        """Write the least recently used hot items beyond `hot_items` to the file; returns how many."""
        excess = len(self.recently_used) - self.hot_items
        if excess <= 0:
            return 0
        rows = []
        for _ in range(excess):
            (partition, sort_key), _ = self.recently_used.popitem(last=False)
            item = dict.get(partition, sort_key)
            if item is None or partition.pinned(item):
                continue
            dict.__delitem__(partition, sort_key)
            partition.cold += 1
            rows.append(
                (
                    partition.table_name,
                    partition.encoded_key,
                    _encoded(sort_key),
                    partition.expiry_of(item),
                    json.dumps(item.to_json()["Attributes"], separators=(",", ":")),
                )
            )
        self.database.executemany("INSERT OR REPLACE INTO item VALUES (?, ?, ?, ?, ?)", rows)
        self.moved_out += len(rows)
        return len(rows)

    def expired_keys(self, table: Table, now: float) -> list[tuple[DynamoType, DynamoType]]:
        """(partition key, sort key) of the table's cold items whose TTL is before `now`."""
        rows = self.database.execute(
            "SELECT pk, sk FROM item WHERE tbl = ? AND expires IS NOT NULL AND expires < ?",
            (table.name, now),
        )
        return [(_decoded(pk), _decoded(sk)) for pk, sk in rows]

    def counts(self) -> dict[str, int]:
        (cold,) = self.database.execute("SELECT count(*) FROM item").fetchone()
        return {"hot": len(self.recently_used), "cold": cold}


class _Partition(dict):
    """One partition key's items: the hot ones in the dictionary itself, `cold` more on disk."""

    __slots__ = ("cold", "encoded_key", "hash_key", "table", "tier")

    def __init__(self, tier: ColdItems, table: Table, hash_key: DynamoType):
        super().__init__()
        self.tier = tier
        self.table = table
        self.hash_key = hash_key
        self.encoded_key = _encoded(hash_key)
        self.cold = 0

    __hash__ = object.__hash__  # a partition is one place, whatever it holds

    def __eq__(self, other: object) -> bool:
        return self is other

    @property
    def table_name(self) -> str:
        return self.table.name

    def pinned(self, item: Item) -> bool:
        """Items that carry a global secondary index's partition key stay in memory."""
        return any(name in item.attrs for name in _index_attributes(self.table))

    def expiry_of(self, item: Item) -> float | None:
        attribute = self.table.ttl.get("AttributeName") if self.table.ttl else None
        value = item.attrs.get(attribute) if attribute else None
        return float(value.value) if value is not None and value.type == "N" else None

    def _bring_back(self, sort_key: DynamoType) -> Item | None:
        if not self.cold:
            return None
        item = self.tier.read(self, sort_key)
        if item is not None:
            self.tier.remove(self, sort_key)
            self.cold -= 1
            self.tier.brought_back += 1
            dict.__setitem__(self, sort_key, item)
        return item

    def __getitem__(self, sort_key: DynamoType) -> Item:
        item = dict.get(self, sort_key)
        if item is None:
            item = self._bring_back(sort_key)
            if item is None:
                raise KeyError(sort_key)
        self.tier.touch(self, sort_key)
        return item

    def get(self, sort_key: DynamoType, default: Any = None) -> Any:
        try:
            return self[sort_key]
        except KeyError:
            return default

    def __setitem__(self, sort_key: DynamoType, item: Item) -> None:
        if self.cold and not dict.__contains__(self, sort_key):
            self._bring_back(sort_key)
        dict.__setitem__(self, sort_key, item)
        self.tier.touch(self, sort_key)

    def __contains__(self, sort_key: object) -> bool:
        return dict.__contains__(self, sort_key) or (
            bool(self.cold) and self.tier.read(self, sort_key) is not None  # type: ignore[arg-type]
        )

    def pop(self, sort_key: DynamoType, *default: Any) -> Any:
        if not dict.__contains__(self, sort_key):
            self._bring_back(sort_key)
        self.tier.forget(self, sort_key)
        return dict.pop(self, sort_key, *default)

    def __delitem__(self, sort_key: DynamoType) -> None:
        self.pop(sort_key)

    def __len__(self) -> int:
        return dict.__len__(self) + self.cold

    def __bool__(self) -> bool:
        return len(self) > 0

    def values(self) -> list[Item]:  # type: ignore[override]
        hot = list(dict.values(self))
        return hot + self.tier.read_partition(self) if self.cold else hot

    def keys(self) -> list[DynamoType]:  # type: ignore[override]
        return [item.range_key for item in self.values()]

    def items(self) -> list[tuple[DynamoType, Item]]:  # type: ignore[override]
        return [(item.range_key, item) for item in self.values()]

    def __iter__(self):
        return iter(self.keys())

    def __reduce__(self):  # a copy (moto's table backup) is a plain dictionary of every item
        return (dict, (dict(self.items()),))


class _Partitions(dict):
    """A table's partitions by partition key; a missing one is made on first use, as moto expects."""

    def __init__(self, tier: ColdItems, table: Table):
        super().__init__()
        self.tier = tier
        self.table = table

    def __missing__(self, hash_key: DynamoType) -> _Partition:
        partition = self[hash_key] = _Partition(self.tier, self.table, hash_key)
        return partition


def _index_attributes(table: Table) -> frozenset[str]:
    found = table.__dict__.get("_index_attributes")
    if found is None:
        found = frozenset(
            key["AttributeName"]
            for index in table.global_indexes
            for key in index.schema
            if key["KeyType"] == "HASH"
        )
        table.__dict__["_index_attributes"] = found
    return found


def _encoded(key: DynamoType) -> str:
    return json.dumps(key.to_json(), separators=(",", ":"))


def _decoded(text: str) -> DynamoType:
    return DynamoType(json.loads(text))


def install_cold_items(hot_items: int = DEFAULT_HOT_ITEMS) -> ColdItems:
    """From now on the tables with a sort key keep at most `hot_items` items in memory between them."""
    tier = ColdItems(hot_items)
    _tiers[:] = [tier]

    def table_init(self: Table, *args: Any, **kwargs: Any) -> None:
        _moto_table_init(self, *args, **kwargs)
        if self.range_key_attr is not None and _tiers:
            self.items = _Partitions(_tiers[0], self)

    Table.__init__ = table_init  # type: ignore[method-assign]
    return tier


def uninstall_cold_items() -> None:
    """Tables made from now on keep every item in memory again (tests)."""
    _tiers.clear()
    Table.__init__ = _moto_table_init  # type: ignore[method-assign]


def installed() -> ColdItems | None:
    return _tiers[0] if _tiers else None


def move_out_least_used() -> int:
    """Between two calls: send the hot items beyond the bound to disk (nothing when not installed)."""
    return _tiers[0].move_out_least_used() if _tiers else 0


def hot_items_of(table: Table) -> list[Item]:
    """The table's items in memory (all of them when the table keeps none on disk)."""
    if not isinstance(table.items, _Partitions):
        return table.all_items()
    return [item for partition in list(table.items.values()) for item in dict.values(partition)]
