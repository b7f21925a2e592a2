"""The state files of earlier versions, read once and moved into the state database.

Format 1 was one `state.json` holding every table and queue. Format 2 was, per emulation process,
a base snapshot (`dynamodb.json`, `queues.json`) and a journal of JSON lines, each the changes of
one save; the journal's first line names the base generation it extends (a journal left from an
older base is ignored), and only its last line can have been torn by a crash (reading stops there).
`local.state_database` replaced both.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_JOURNAL_SUFFIX = ".journal"
_READABLE_FORMATS = (1, 2)


def journal_path(base: Path) -> Path:
    return base.with_name(base.name + _JOURNAL_SUFFIX)


def read_state(base: Path) -> dict[str, Any] | None:
    """The base with its journal applied, or None when there is no base."""
    snapshot = load(base)
    if snapshot is None:
        return None
    snapshot["tables"] = {
        name: items if isinstance(items, dict) else {str(index): item for index, item in enumerate(items)}
        for name, items in snapshot.get("tables", {}).items()
    }
    snapshot.setdefault("queues", {})
    journal = journal_path(base)
    if not journal.exists():
        return snapshot
    for number, line in enumerate(journal.read_bytes().splitlines(keepends=True)):
        if not line.endswith(b"\n"):
            break
        try:
            record = json.loads(line)
        except ValueError:
            break
        if number == 0:
            if record.get("generation") != snapshot.get("generation"):
                return snapshot
        else:
            apply_changes(snapshot, record)
    return snapshot


def apply_changes(snapshot: dict[str, Any], record: dict[str, Any]) -> None:
    """One journal record onto a snapshot: items put (or deleted when null), queues replaced."""
    for name, changes in record.get("tables", {}).items():
        items = snapshot["tables"].setdefault(name, {})
        for key, item in changes.items():
            if item is None:
                items.pop(key, None)
            else:
                items[key] = item
    snapshot["queues"].update(record.get("queues", {}))


def legacy_files(base: Path) -> list[Path]:
    """The files of an earlier format beside `base` that exist (removed once moved)."""
    return [path for path in (base, journal_path(base)) if path.exists()]


def saved_items(snapshot: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """A snapshot's items as (table name, attributes), as `StateDatabase.items` gives them."""
    for name, items in snapshot["tables"].items():
        for item in items.values():
            yield name, item


def load(state_file: Path) -> dict[str, Any] | None:
    """The snapshot kept in `state_file`, or None when there is none yet."""
    if not state_file.exists():
        return None
    snapshot = json.loads(state_file.read_text("utf-8"))
    if snapshot.get("format") not in _READABLE_FORMATS:
        raise ValueError(f"{state_file} has format {snapshot.get('format')}; start with HC_FRESH=1")
    return snapshot
