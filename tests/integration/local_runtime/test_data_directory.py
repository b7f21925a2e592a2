"""The data directory keeps the admin key and the state; HC_FRESH empties it; saves are atomic."""

import json
import os

import pytest

from local import state_store
from local.state_store import DataDirectory


def test_the_admin_key_is_kept_across_starts_unless_configured_or_fresh(tmp_path):
    # given a first start without a configured key
    first = DataDirectory(tmp_path / "data").admin_key(configured="")
    # then a second start gets the same key, a configured one wins, and a fresh start makes a new one
    assert DataDirectory(tmp_path / "data").admin_key(configured="") == first
    assert DataDirectory(tmp_path / "data").admin_key(configured="mine") == "mine"
    assert DataDirectory(tmp_path / "data", fresh=True).admin_key(configured="") != first


def test_a_fresh_start_forgets_the_state(tmp_path):
    data = DataDirectory(tmp_path / "data")
    state_store.save(data.state_file, {"format": state_store.SNAPSHOT_FORMAT, "tables": {}, "queues": {}})
    assert state_store.load(DataDirectory(tmp_path / "data").state_file) is not None
    assert state_store.load(DataDirectory(tmp_path / "data", fresh=True).state_file) is None


def test_a_save_that_fails_midway_leaves_the_previous_file_whole(tmp_path, monkeypatch):
    # given a saved state
    state_file = tmp_path / "state.json"
    previous = {"format": state_store.SNAPSHOT_FORMAT, "tables": {"t": [{"pk": {"S": "1"}}]}, "queues": {}}
    state_store.save(state_file, previous)

    # when the next save dies before its data reaches the disk
    def crash(descriptor: int) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError):
        state_store.save(state_file, {**previous, "tables": {}})
    # then the file still holds the previous state, and no temporary file is left behind
    assert json.loads(state_file.read_text()) == previous
    assert [path.name for path in tmp_path.iterdir()] == ["state.json"]
