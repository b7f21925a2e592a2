"""The local runtime's data directory: the emulation's tables and queues, and the admin key, across restarts.

moto is imported only where it runs, in the emulation's process (`local.aws_server`). What a save
writes is captured under the emulation's lock (a consistent cut: no call is half done) and written
to the process's state database (`local.state_database`) outside it.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import traceback
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

log = logging.getLogger("local.state")

_ADMIN_KEY_FILE = "admin-key"
_SECRETS_KEY_FILE = "secrets-key"


def capture(region: str, table_names: list[str], queue_names: list[str]) -> dict[str, Any]:
    """Every item of the tables and every message of the queues (call under the lock).

    From then on the tables note what changes, for `capture_changes`.
    """
    from local.dynamodb_fidelity import dynamodb_backend, forget_changes, item_key, track_changes

    dynamodb = dynamodb_backend(region)
    tables = {}
    for name in table_names:
        if name in dynamodb.tables:
            table = dynamodb.tables[name]
            track_changes(table)
            forget_changes(table)
            tables[name] = {item_key(item.hash_key, item.range_key): item for item in table.all_items()}
    return {"tables": tables, "queues": _queues(region, queue_names)}


def capture_changes(region: str, table_names: list[str], queue_names: list[str]) -> dict[str, Any]:
    """The items changed since the last capture (None: deleted) and every queued message (under the lock).

    Items are moto's objects, by reference: `as_json` must see them as they are now, under the same
    lock or in a process forked under it (`write_forked`).
    """
    from local.dynamodb_fidelity import dynamodb_backend, take_changes

    dynamodb = dynamodb_backend(region)
    tables = {name: take_changes(dynamodb.tables[name]) for name in table_names if name in dynamodb.tables}
    return {
        "tables": {name: changes for name, changes in tables.items() if changes},
        "queues": _queues(region, queue_names),
    }


def as_json(captured: dict[str, Any]) -> dict[str, Any]:
    """A capture with its items as plain JSON attributes, as the state database keeps them."""
    return {
        "tables": {
            name: {key: None if item is None else item.to_json()["Attributes"] for key, item in items.items()}
            for name, items in captured["tables"].items()
        },
        "queues": captured["queues"],
    }


def written_count(captured: dict[str, Any]) -> int:
    return sum(len(items) for items in captured["tables"].values())


def write_forked(path: Path, captured: dict[str, Any]) -> int:
    """Fork a process that converts the captured items and writes them to the state database at
    `path`; returns its pid, for `wait_for_writer`.

    Called under the emulation's lock: the child's memory is the emulation as it is at that moment,
    a consistent cut, while the emulation takes calls again at once. The conversion and the write
    (hundreds of milliseconds for a thousand items) then run on the other core, where they held the
    lock, and with it every call, for all that time. The child touches only the captured items
    (not the cold-items file, whose connection must not cross a fork) and opens its own connection.
    """
    from local.state_database import StateDatabase

    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            StateDatabase(path).write(as_json(captured))
            status = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(status)
    return pid


def wait_for_writer(pid: int) -> None:
    """Until the forked writer has committed; raises if it failed."""
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"the state writer {pid} failed (exit {os.waitstatus_to_exitcode(status)})")


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


def restore(region: str, items: Iterable[tuple[str, dict[str, Any]]], queues: dict[str, list]) -> None:
    """Put saved items and messages into this process's freshly created tables and queues, then let
    its tables note their changes (the next save writes only those).

    A process holds some of the template's services: what it has no table or queue for is not its own.
    """
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    from local.dynamodb_cold_items import move_out_least_used
    from local.dynamodb_fidelity import dynamodb_backend

    dynamodb = dynamodb_backend(region)
    sqs = sqs_backends[DEFAULT_ACCOUNT_ID][region]
    dropped: Counter[str] = Counter()
    for count, (name, item) in enumerate(items):
        if name not in dynamodb.tables:
            dropped[name] += 1
            continue
        dynamodb.put_item(name, item)
        if count % 1_000 == 999:  # a large state never sits in memory whole
            move_out_least_used()
    track_every_table(region)
    if dynamodb.tables:
        for name, count in dropped.items():
            log.warning("table %s is no longer in the template; its %d items are dropped", name, count)
    for name, messages in queues.items():
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


def track_every_table(region: str) -> None:
    """From now on every table of this process notes what changes (what was there is not a change)."""
    from local.dynamodb_fidelity import dynamodb_backend, forget_changes, track_changes

    for table in dynamodb_backend(region).tables.values():
        track_changes(table)
        forget_changes(table)


class DataDirectory:
    """Where `make run` keeps its state (git-ignored); `fresh` starts it empty."""

    def __init__(self, path: Path, fresh: bool = False):
        self.path = path
        if fresh and path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True, exist_ok=True)

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
