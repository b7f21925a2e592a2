"""The emulation's state files: a base and a journal of changes, readable after any crash."""

import json

from local.state_journal import StateFiles, journal_path, read_state


def _item(key: str, value: str) -> dict:
    return {"pk": {"S": key}, "value": {"S": value}}


def _saved_base(tmp_path) -> StateFiles:
    files = StateFiles(tmp_path / "dynamodb.json")
    files.write_base({"tables": {"t": {"a": _item("a", "1"), "b": _item("b", "1")}}, "queues": {}})
    return files


def test_saves_append_changes_and_a_read_applies_them_in_order(tmp_path):
    # given a base and two saves of changes: b updated, then deleted; c added; a queue replaced twice
    files = _saved_base(tmp_path)
    files.append(
        {"tables": {"t": {"b": _item("b", "2"), "c": _item("c", "1")}}, "queues": {"q": [{"body": "1"}]}}
    )
    files.append({"tables": {"t": {"b": None}}, "queues": {"q": [{"body": "2"}]}})
    # when the state is read back
    snapshot, _ = read_state(files.base)
    # then it holds the last word on every item and queue
    assert snapshot["tables"]["t"] == {"a": _item("a", "1"), "c": _item("c", "1")}
    assert snapshot["queues"] == {"q": [{"body": "2"}]}


def test_a_torn_last_line_is_ignored_and_cut_before_the_next_append(tmp_path):
    # given a save whose last line was cut by a crash
    files = _saved_base(tmp_path)
    files.append({"tables": {"t": {"c": _item("c", "1")}}})
    with open(journal_path(files.base), "ab") as journal:
        journal.write(b'{"tables": {"t": {"d"')
    # when the next start reads the state and saves again
    restarted = StateFiles(files.base)
    snapshot = restarted.read()
    restarted.append({"tables": {"t": {"e": _item("e", "1")}}})
    # then the torn change is lost, the whole ones are kept, and the new one is readable
    assert set(snapshot["tables"]["t"]) == {"a", "b", "c"}
    assert set(read_state(files.base)[0]["tables"]["t"]) == {"a", "b", "c", "e"}


def test_a_journal_of_an_older_base_is_ignored(tmp_path):
    # given a journal with a change, then a crash right after a new base was written
    files = _saved_base(tmp_path)
    files.append({"tables": {"t": {"c": _item("c", "1")}}})
    stale_journal = journal_path(files.base).read_bytes()
    files.write_base({"tables": {"t": {"a": _item("a", "9")}}, "queues": {}})
    journal_path(files.base).write_bytes(stale_journal)
    # when the state is read
    snapshot, _ = read_state(files.base)
    # then only the new base counts
    assert snapshot["tables"]["t"] == {"a": _item("a", "9")}


def test_a_journal_larger_than_its_base_is_folded_into_a_new_base(tmp_path, monkeypatch):
    # given a journal that outgrew its base
    monkeypatch.setattr("local.state_journal._COMPACT_FLOOR_BYTES", 0)
    files = _saved_base(tmp_path)
    for number in range(20):
        files.append({"tables": {"t": {"b": _item("b", str(number))}}})
    # when the save checks it
    assert files.compact_if_outgrown()
    # then the base holds the result, the journal is empty again, and the state reads the same
    assert json.loads(files.base.read_text())["tables"]["t"]["b"] == _item("b", "19")
    assert len(journal_path(files.base).read_text().splitlines()) == 1
    assert read_state(files.base)[0]["tables"]["t"]["b"] == _item("b", "19")
    assert not files.compact_if_outgrown()
