"""The durable spool: every result is written here before it is sent and removed only once acknowledged.

SQLite in WAL mode with `synchronous=FULL`, so a committed append survives a crash or power loss.
Rows are sent oldest first (by insertion sequence). The spool also keeps the last assignments and
their ETag, so an agent restarted while the API is down still knows what to probe.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS results (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        result_id TEXT NOT NULL UNIQUE,
        payload TEXT NOT NULL
    )""",
    "CREATE TABLE IF NOT EXISTS agent_state (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
)
_ASSIGNMENTS_STATE = "assignments"
# SQLite limits host parameters per statement; removals are chunked below it.
_REMOVE_CHUNK = 500


@dataclass(frozen=True)
class SpooledResult:
    result_id: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class CachedAssignments:
    etag: str | None
    items: list[dict[str, Any]]


class Spool:
    def __init__(self, path: Path, *, max_results: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._max_results = max_results
        self.dropped_total = 0
        # Autocommit mode: every transaction below is explicit, so none is left open by accident.
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=5000")
        for statement in _SCHEMA:
            self._db.execute(statement)

    def append(self, results: Sequence[dict[str, Any]]) -> int:
        """Store results (each with a `resultId`) durably; returns how many of the oldest were dropped."""
        with self._transaction():
            self._db.executemany(
                "INSERT OR IGNORE INTO results (result_id, payload) VALUES (?, ?)",
                [(result["resultId"], json.dumps(result, separators=(",", ":"))) for result in results],
            )
            excess = self._count() - self._max_results
            if excess > 0:
                self._db.execute(
                    "DELETE FROM results WHERE seq IN (SELECT seq FROM results ORDER BY seq LIMIT ?)",
                    (excess,),
                )
        dropped = max(excess, 0)
        self.dropped_total += dropped
        return dropped

    def oldest(self, limit: int) -> list[SpooledResult]:
        rows = self._db.execute("SELECT result_id, payload FROM results ORDER BY seq LIMIT ?", (limit,))
        return [SpooledResult(result_id, json.loads(payload)) for result_id, payload in rows]

    def remove(self, result_ids: Iterable[str]) -> int:
        """Forget acknowledged results; returns how many were still spooled."""
        ids = list(dict.fromkeys(result_ids))
        removed = 0
        with self._transaction():
            for start in range(0, len(ids), _REMOVE_CHUNK):
                chunk = ids[start : start + _REMOVE_CHUNK]
                placeholders = ",".join("?" * len(chunk))
                cursor = self._db.execute(f"DELETE FROM results WHERE result_id IN ({placeholders})", chunk)
                removed += cursor.rowcount
        return removed

    def __len__(self) -> int:
        return self._count()

    def save_assignments(self, etag: str | None, items: list[dict[str, Any]]) -> None:
        value = json.dumps({"etag": etag, "items": items}, separators=(",", ":"))
        with self._transaction():
            self._db.execute(
                "INSERT INTO agent_state (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (_ASSIGNMENTS_STATE, value),
            )

    def load_assignments(self) -> CachedAssignments | None:
        row = self._db.execute(
            "SELECT value FROM agent_state WHERE name = ?", (_ASSIGNMENTS_STATE,)
        ).fetchone()
        if row is None:
            return None
        stored = json.loads(row[0])
        return CachedAssignments(etag=stored["etag"], items=stored["items"])

    def close(self) -> None:
        self._db.close()

    def _count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM results").fetchone()[0]

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        self._db.execute("ROLLBACK" if exc_type is not None else "COMMIT")
