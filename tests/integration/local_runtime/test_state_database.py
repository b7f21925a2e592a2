"""The emulation's state of record: saves of changes in one transaction each, whole after any crash,
and the JSON files of earlier versions still read."""

import json
import subprocess
import sys

from local.legacy_state import journal_path, read_state
from local.state_database import StateDatabase


def _item(key: str, value: str) -> dict:
    return {"pk": {"S": key}, "value": {"S": value}}


def _saved(tmp_path) -> StateDatabase:
    database = StateDatabase(tmp_path / "dynamodb.sqlite3")
    database.write({"tables": {"t": {"a": _item("a", "1"), "b": _item("b", "1")}}, "queues": {}})
    return database


def test_saves_of_changes_are_read_back_as_their_last_word(tmp_path):
    # given a save, then two saves of changes: b updated, then deleted; c added; a queue replaced twice
    database = _saved(tmp_path)
    database.write(
        {"tables": {"t": {"b": _item("b", "2"), "c": _item("c", "1")}}, "queues": {"q": [{"body": "1"}]}}
    )
    assert database.write({"tables": {"t": {"b": None}}, "queues": {"q": [{"body": "2"}]}}) == 1
    # when a restarted process reads the file
    reopened = StateDatabase(database.path)
    # then it holds the last word on every item and queue
    assert reopened.has_state
    assert sorted(item["pk"]["S"] for _, item in reopened.items()) == ["a", "c"]
    assert reopened.queues() == {"q": [{"body": "2"}]}
    assert not StateDatabase(tmp_path / "other.sqlite3").has_state


_CRASH_MIDWAY = """
import os, sys
from local.state_database import StateDatabase

database = StateDatabase(__import__("pathlib").Path(sys.argv[1]))
real_connection = database._database


class DiesBeforeCommit:
    def __getattr__(self, name):
        return getattr(real_connection, name)

    def execute(self, sql, *arguments):
        if sql == "COMMIT":
            os._exit(9)  # the process dies with the save's rows written but not committed
        return real_connection.execute(sql, *arguments)


database._database = DiesBeforeCommit()
database.write({"tables": {"t": {key: None for key in ("a", "b")} | {"new": {"pk": {"S": "new"}}}}})
"""


def test_a_process_that_dies_midway_through_a_save_leaves_the_previous_save_whole(tmp_path):
    # given a saved state
    database = _saved(tmp_path)
    # when another process dies in the middle of its save (rows written, no commit)
    dead = subprocess.run([sys.executable, "-c", _CRASH_MIDWAY, str(database.path)], check=False)
    assert dead.returncode == 9
    # then the file reads as the previous save: nothing of the torn one
    reopened = StateDatabase(database.path)
    assert sorted(item["pk"]["S"] for _, item in reopened.items()) == ["a", "b"]


def _legacy_base(tmp_path, generation: int = 1):
    base = tmp_path / "dynamodb.json"
    tables = {"t": {"a": _item("a", "1"), "b": _item("b", "1")}}
    base.write_text(json.dumps({"format": 2, "generation": generation, "tables": tables, "queues": {}}))
    return base


def _journal(base, *lines: str) -> None:
    journal_path(base).write_text("".join(lines))


def test_an_earlier_versions_journal_is_read_in_order_up_to_a_torn_last_line(tmp_path):
    # given a base of format 2 and its journal, whose last line a crash cut
    base = _legacy_base(tmp_path)
    changes = {"tables": {"t": {"b": None, "c": _item("c", "1")}}, "queues": {"q": [{"body": "1"}]}}
    _journal(base, '{"generation": 1}\n', json.dumps(changes) + "\n", '{"tables": {"t": {"d"')
    # when it is read
    snapshot = read_state(base)
    # then the whole lines count and the torn one does not
    assert snapshot["tables"]["t"] == {"a": _item("a", "1"), "c": _item("c", "1")}
    assert snapshot["queues"] == {"q": [{"body": "1"}]}


def test_a_journal_of_an_older_base_is_ignored(tmp_path):
    # given a base of generation 2 beside a journal left from generation 1
    base = _legacy_base(tmp_path, generation=2)
    _journal(base, '{"generation": 1}\n', json.dumps({"tables": {"t": {"a": None}}}) + "\n")
    # when it is read, then only the base counts
    assert set(read_state(base)["tables"]["t"]) == {"a", "b"}
