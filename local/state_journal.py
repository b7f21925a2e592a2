"""The emulation's state on disk: a base snapshot and a journal of what changed since it.

A periodic save appends the items written since the last save (and the queues' messages, which are
few) as one line of the journal, flushed to disk; the base is rewritten only when the journal has
grown past it, from the files themselves, outside the emulation's lock. So a save costs what
changed, and the stop's final save is one short line however large the state is.

Crash safety: the base is replaced atomically (temporary file, fsync, rename) and names its
generation; the journal's first line names the generation it extends, so a journal left from an
older base is ignored. Only the last line of a journal can be torn by a crash; reading stops
there, and the runtime cuts it off before appending again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from local.state_store import SNAPSHOT_FORMAT, load, write_atomically

_JOURNAL_SUFFIX = ".journal"
_COMPACT_FLOOR_BYTES = 1 << 20


def journal_path(base: Path) -> Path:
    return base.with_name(base.name + _JOURNAL_SUFFIX)


def read_state(base: Path) -> tuple[dict[str, Any] | None, int]:
    """The base with its journal applied, and how many bytes of the journal were whole lines."""
    snapshot = load(base)
    if snapshot is None:
        return None, 0
    snapshot["tables"] = {
        name: items if isinstance(items, dict) else {str(index): item for index, item in enumerate(items)}
        for name, items in snapshot.get("tables", {}).items()
    }
    snapshot.setdefault("queues", {})
    journal = journal_path(base)
    if not journal.exists():
        return snapshot, 0
    data = journal.read_bytes()
    whole = 0
    for number, line in enumerate(data.splitlines(keepends=True)):
        if not line.endswith(b"\n"):
            break
        try:
            record = json.loads(line)
        except ValueError:
            break
        if number == 0:
            if record.get("generation") != snapshot.get("generation"):
                return snapshot, 0
        else:
            apply_changes(snapshot, record)
        whole += len(line)
    return snapshot, whole


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


class StateFiles:
    """One emulation process's base and journal; every method is called under the process's save lock."""

    def __init__(self, base: Path):
        self.base = base
        self.journal = journal_path(base)
        self.generation: int | None = None
        self._base_bytes = 0
        self._journal_bytes = 0

    @property
    def has_base(self) -> bool:
        """True once this process wrote or read the base: later saves only append."""
        return self.generation is not None

    def read(self) -> dict[str, Any] | None:
        """The saved state; a torn last journal line is cut off so appends start on a fresh line."""
        snapshot, whole = read_state(self.base)
        if snapshot is None:
            return None
        if snapshot.get("format") != SNAPSHOT_FORMAT:
            # An older single-file snapshot: the next save writes this format's files.
            return snapshot
        self.generation = snapshot.get("generation", 0)
        self._base_bytes = self.base.stat().st_size
        if whole:
            with open(self.journal, "r+b") as journal:
                journal.truncate(whole)
            self._journal_bytes = whole
        return snapshot

    def write_base(self, snapshot: dict[str, Any]) -> None:
        """Replace the base by a whole snapshot and start an empty journal for it."""
        self.generation = (self.generation or 0) + 1
        data = json.dumps(
            {**snapshot, "format": SNAPSHOT_FORMAT, "generation": self.generation},
            separators=(",", ":"),
            default=str,
        ).encode()
        write_atomically(self.base, data)
        header = json.dumps({"generation": self.generation}).encode() + b"\n"
        write_atomically(self.journal, header)
        self._base_bytes, self._journal_bytes = len(data), len(header)

    def append(self, record: dict[str, Any]) -> None:
        """One line of changes, on disk when this returns."""
        if not self.journal.exists():
            header = json.dumps({"generation": self.generation}).encode() + b"\n"
            write_atomically(self.journal, header)
            self._journal_bytes = len(header)
        line = json.dumps(record, separators=(",", ":"), default=str).encode() + b"\n"
        with open(self.journal, "ab") as journal:
            journal.write(line)
            journal.flush()
            os.fsync(journal.fileno())
        self._journal_bytes += len(line)

    def compact_if_outgrown(self) -> bool:
        """Fold the journal into a new base once it is larger than the base (amortised O(1) per change)."""
        if self._journal_bytes <= max(self._base_bytes, _COMPACT_FLOOR_BYTES):
            return False
        snapshot, _ = read_state(self.base)
        if snapshot is not None:
            self.write_base(snapshot)
        return True
