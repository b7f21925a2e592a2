"""The spool keeps every result until the API acknowledged it, across restarts, within its bound."""

from __future__ import annotations

import asyncio
from pathlib import Path

from satellite.client import IngestAnswer
from satellite.delivery import send_oldest_batch
from satellite.spool import Spool


def result(result_id: str) -> dict:
    return {"resultId": result_id, "systemId": "billing", "configurationId": "home", "status": "healthy"}


class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[list[dict]] = []

    async def send_results(self, results: list[dict]) -> IngestAnswer:
        self.sent.append(results)
        return IngestAnswer(accepted=[item["resultId"] for item in results], duplicates=[], rejected=[])


def test_appended_results_come_back_oldest_first(tmp_path: Path) -> None:
    # given
    spool = Spool(tmp_path / "spool.sqlite3", max_results=10)

    # when
    spool.append([result("a"), result("b")])
    spool.append([result("c")])

    # then
    assert [item.result_id for item in spool.oldest(10)] == ["a", "b", "c"]
    assert spool.oldest(1)[0].payload == result("a")


def test_acknowledged_results_are_removed_and_the_rest_stay(tmp_path: Path) -> None:
    # given
    spool = Spool(tmp_path / "spool.sqlite3", max_results=10)
    spool.append([result("a"), result("b"), result("c")])

    # when
    removed = spool.remove(["a", "c", "unknown"])

    # then
    assert removed == 2
    assert [item.result_id for item in spool.oldest(10)] == ["b"]


def test_a_restart_keeps_unacknowledged_results(tmp_path: Path) -> None:
    # given
    spool = Spool(tmp_path / "spool.sqlite3", max_results=10)
    spool.append([result("a"), result("b")])
    spool.remove(["a"])
    spool.close()

    # when
    reopened = Spool(tmp_path / "spool.sqlite3", max_results=10)

    # then
    assert [item.result_id for item in reopened.oldest(10)] == ["b"]


def test_past_the_bound_the_oldest_are_dropped_and_counted(tmp_path: Path) -> None:
    # given
    spool = Spool(tmp_path / "spool.sqlite3", max_results=3)
    spool.append([result("a"), result("b")])

    # when
    first_drop = spool.append([result("c"), result("d"), result("e")])
    second_drop = spool.append([result("f")])

    # then
    assert (first_drop, second_drop) == (2, 1)
    assert spool.dropped_total == 3
    assert [item.result_id for item in spool.oldest(10)] == ["d", "e", "f"]


def test_the_same_result_appended_twice_is_kept_once(tmp_path: Path) -> None:
    # given
    spool = Spool(tmp_path / "spool.sqlite3", max_results=10)

    # when
    spool.append([result("a")])
    spool.append([result("a")])

    # then
    assert len(spool) == 1


def test_a_result_spooled_but_never_sent_before_a_crash_is_sent_after_restart(tmp_path: Path) -> None:
    # given: the process died right after the spool write, before any send
    crashed = Spool(tmp_path / "spool.sqlite3", max_results=10)
    crashed.append([result("a")])
    del crashed
    sender = RecordingSender()

    # when
    restarted = Spool(tmp_path / "spool.sqlite3", max_results=10)
    settled = asyncio.run(send_oldest_batch(restarted, sender))

    # then
    assert sender.sent == [[result("a")]]
    assert settled == 1
    assert len(restarted) == 0


def test_the_last_assignments_and_etag_survive_a_restart(tmp_path: Path) -> None:
    # given
    spool = Spool(tmp_path / "spool.sqlite3", max_results=10)
    spool.save_assignments('"v1"', [{"systemId": "billing"}])
    spool.save_assignments('"v2"', [{"systemId": "shop"}])
    spool.close()

    # when
    cached = Spool(tmp_path / "spool.sqlite3", max_results=10).load_assignments()

    # then
    assert cached is not None
    assert (cached.etag, cached.items) == ('"v2"', [{"systemId": "shop"}])
