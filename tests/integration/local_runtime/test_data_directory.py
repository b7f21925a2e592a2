"""The data directory keeps the admin key and the state; HC_FRESH empties it; key files are atomic."""

import os

import pytest

from local.state_database import StateDatabase
from local.state_store import DataDirectory, write_atomically


def test_the_admin_key_is_kept_across_starts_unless_configured_or_fresh(tmp_path):
    # given a first start without a configured key
    first = DataDirectory(tmp_path / "data").admin_key(configured="")
    # then a second start gets the same key, a configured one wins, and a fresh start makes a new one
    assert DataDirectory(tmp_path / "data").admin_key(configured="") == first
    assert DataDirectory(tmp_path / "data").admin_key(configured="mine") == "mine"
    assert DataDirectory(tmp_path / "data", fresh=True).admin_key(configured="") != first


def test_a_fresh_start_forgets_the_state(tmp_path):
    data = DataDirectory(tmp_path / "data")
    StateDatabase(data.path / "dynamodb.sqlite3").write({"tables": {"t": {"k": {"pk": {"S": "1"}}}}})
    assert StateDatabase(DataDirectory(tmp_path / "data").path / "dynamodb.sqlite3").has_state
    assert not StateDatabase(DataDirectory(tmp_path / "data", fresh=True).path / "dynamodb.sqlite3").has_state


def test_a_key_file_written_when_the_disk_fails_leaves_the_previous_file_whole(tmp_path, monkeypatch):
    # given a kept key
    key_file = tmp_path / "admin-key"
    write_atomically(key_file, b"previous")

    # when the next write dies before its data reaches the disk
    def crash(descriptor: int) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError):
        write_atomically(key_file, b"next")
    # then the file still holds the previous key, and no temporary file is left behind
    assert key_file.read_bytes() == b"previous"
    assert [path.name for path in tmp_path.iterdir()] == ["admin-key"]
