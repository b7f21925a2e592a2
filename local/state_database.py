"""The emulation's state of record: one SQLite file per emulation process in the data directory.

A periodic save writes the items changed since the last save (and the queues' messages, which are
few) in one transaction; a restart streams the items back row by row. Nothing ever reads or writes
the whole state at once, so the emulation's memory does not grow with the state it keeps (the
journal of JSON lines this replaces had to be folded into a new base now and then, and each fold
read the whole state into the process).

Crash safety is SQLite's: write-ahead log, `synchronous = FULL`, so a save is on disk when it
returns and a crash while saving leaves the previous save whole.

The files of the two earlier formats (one `state.json`, then a JSON base with a journal per
process) are still read once, by `local.legacy_state`, and moved into the database.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_SCHEMA = """
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
CREATE TABLE IF NOT EXISTS item (
    tbl TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (tbl, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS queue (name TEXT PRIMARY KEY, messages TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS saved (id INTEGER PRIMARY KEY CHECK (id = 1), at REAL NOT NULL);
"""


class StateDatabase:
    """One emulation process's saved tables and queues; used under the process's save lock."""

    def __init__(self, path: Path):
        self.path = path
        self._database = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._database.executescript(_SCHEMA)
        # Set once this process's tables note their changes (after a restore or a first whole save):
        # from then on a save writes only what changed.
        self.tracking = False

    @property
    def has_state(self) -> bool:
        """True once a save has completed into this file."""
        return self._database.execute("SELECT 1 FROM saved").fetchone() is not None

    def write(self, changes: dict[str, Any]) -> int:
        """One save in one transaction: items put (or deleted when None) per table, queues replaced.

        Returns how many items it wrote or deleted.
        """
        puts, deletes = [], []
        for table, items in changes.get("tables", {}).items():
            for key, item in items.items():
                if item is None:
                    deletes.append((table, key))
                else:
                    puts.append((table, key, json.dumps(item, separators=(",", ":"), default=str)))
        queues = [
            (name, json.dumps(messages, separators=(",", ":"), default=str))
            for name, messages in changes.get("queues", {}).items()
        ]
        database = self._database
        database.execute("BEGIN IMMEDIATE")
        try:
            database.executemany("INSERT OR REPLACE INTO item (tbl, key, body) VALUES (?, ?, ?)", puts)
            database.executemany("DELETE FROM item WHERE tbl = ? AND key = ?", deletes)
            database.executemany("INSERT OR REPLACE INTO queue (name, messages) VALUES (?, ?)", queues)
            database.execute("INSERT OR REPLACE INTO saved (id, at) VALUES (1, ?)", (time.time(),))
            database.execute("COMMIT")
        except BaseException:
            database.execute("ROLLBACK")
            raise
        return len(puts) + len(deletes)

    def items(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every saved item as (table name, attributes), read a row at a time."""
        for table, body in self._database.execute("SELECT tbl, body FROM item ORDER BY tbl, key"):
            yield table, json.loads(body)

    def queues(self) -> dict[str, list[dict[str, Any]]]:
        rows = self._database.execute("SELECT name, messages FROM queue")
        return {name: json.loads(messages) for name, messages in rows}
