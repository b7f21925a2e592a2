"""The local runtime's data directory: the emulation's tables and queues, and the admin key, across restarts.

moto is imported only where it runs, in the emulation's process (`local.aws_server`). A snapshot
is taken under the emulation's lock (a consistent cut: no call is half done), then
written as JSON beside the old file, flushed to disk and renamed over it, so a crash while saving
leaves either the old snapshot or the new one, never a torn file.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

log = logging.getLogger("local.state")

SNAPSHOT_FORMAT = 2
# Format 1 was one file holding every table and queue; it is still read.
_READABLE_FORMATS = (1, SNAPSHOT_FORMAT)
_STATE_FILE = "state.json"
_ADMIN_KEY_FILE = "admin-key"
_SECRETS_KEY_FILE = "secrets-key"


def capture(region: str, table_names: list[str], queue_names: list[str]) -> dict[str, Any]:
    """Every item of the tables and every message of the queues, as plain JSON (call under the lock).

    From then on the tables note what changes, for `capture_changes`.
    """
    from local.dynamodb_fidelity import dynamodb_backend, item_key, take_changes, track_changes

    dynamodb = dynamodb_backend(region)
    tables = {}
    for name in table_names:
        if name in dynamodb.tables:
            table = dynamodb.tables[name]
            track_changes(table)
            take_changes(table)
            tables[name] = {
                item_key(item.hash_key, item.range_key): item.to_json()["Attributes"]
                for item in table.all_items()
            }
    return {
        "format": SNAPSHOT_FORMAT,
        "savedAt": time.time(),
        "tables": tables,
        "queues": _queues(region, queue_names),
    }


def capture_changes(region: str, table_names: list[str], queue_names: list[str]) -> dict[str, Any]:
    """The items changed since the last capture (None: deleted) and every queued message (under the lock)."""
    from local.dynamodb_fidelity import dynamodb_backend, take_changes

    dynamodb = dynamodb_backend(region)
    tables = {name: take_changes(dynamodb.tables[name]) for name in table_names if name in dynamodb.tables}
    return {
        "tables": {name: changes for name, changes in tables.items() if changes},
        "queues": _queues(region, queue_names),
    }


def _queues(region: str, queue_names: list[str]) -> dict[str, list[dict]]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    queues = sqs_backends[DEFAULT_ACCOUNT_ID][region].queues
    # In-flight messages are kept too: after a restart they are delivered again, as after a
    # visibility timeout (SQS delivers at least once).
    return {
        name: [
            {
                "body": message.body,
                "messageAttributes": message.message_attributes,
                "groupId": message.group_id,
                "deduplicationId": message.deduplication_id,
            }
            for message in queues[name]._messages
        ]
        for name in queue_names
        if name in queues
    }


def restore(region: str, snapshot: dict[str, Any]) -> None:
    """Put a snapshot's items and messages into this process's freshly created tables and queues.

    A process holds some of the template's services: what it has no table or queue for is not its own.
    """
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    from local.dynamodb_cold_items import move_out_least_used
    from local.dynamodb_fidelity import dynamodb_backend, take_changes, track_changes

    dynamodb = dynamodb_backend(region)
    sqs = sqs_backends[DEFAULT_ACCOUNT_ID][region]
    for name, items in snapshot.get("tables", {}).items():
        if name not in dynamodb.tables:
            if dynamodb.tables:
                log.warning(
                    "table %s is no longer in the template; its %d items are dropped", name, len(items)
                )
            continue
        for count, item in enumerate(items.values() if isinstance(items, dict) else items):
            dynamodb.put_item(name, item)
            if count % 1_000 == 999:  # a large state never sits in memory whole
                move_out_least_used()
        track_changes(dynamodb.tables[name])
        take_changes(dynamodb.tables[name])
    for name, messages in snapshot.get("queues", {}).items():
        if name not in sqs.queues:
            continue
        for message in messages:
            sqs.send_message(
                name,
                message["body"],
                message_attributes=message.get("messageAttributes") or None,
                group_id=message.get("groupId"),
                deduplication_id=message.get("deduplicationId"),
                delay_seconds=0,
            )


class DataDirectory:
    """Where `make run` keeps its state (git-ignored); `fresh` starts it empty."""

    def __init__(self, path: Path, fresh: bool = False):
        self.path = path
        if fresh and path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True, exist_ok=True)

    @property
    def state_file(self) -> Path:
        return self.path / _STATE_FILE

    def admin_key(self, configured: str | None) -> str:
        """The configured key, else the one kept from an earlier start, else a new one that is kept."""
        if configured:
            return configured
        key_file = self.path / _ADMIN_KEY_FILE
        if key_file.exists():
            return key_file.read_text("utf-8").strip()
        key = secrets.token_urlsafe(24)
        write_atomically(key_file, key.encode(), mode=0o600)
        return key

    def secrets_key(self, configured: str | None) -> str:
        """The configured Fernet key for secret config fields, else the kept one, else a new kept one:
        sealed check secrets stay readable across restarts."""
        if configured:
            return configured
        key_file = self.path / _SECRETS_KEY_FILE
        if key_file.exists():
            return key_file.read_text("utf-8").strip()
        key = Fernet.generate_key().decode()
        write_atomically(key_file, key.encode(), mode=0o600)
        return key


def load(state_file: Path) -> dict[str, Any] | None:
    """The snapshot kept in `state_file`, or None when there is none yet."""
    if not state_file.exists():
        return None
    snapshot = json.loads(state_file.read_text("utf-8"))
    if snapshot.get("format") not in _READABLE_FORMATS:
        raise ValueError(f"{state_file} has format {snapshot.get('format')}; start with HC_FRESH=1")
    return snapshot


def save(state_file: Path, snapshot: dict[str, Any]) -> None:
    """Replace `state_file` by the snapshot atomically (temporary file, fsync, rename)."""
    write_atomically(state_file, json.dumps(snapshot, separators=(",", ":"), default=str).encode())


def write_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
