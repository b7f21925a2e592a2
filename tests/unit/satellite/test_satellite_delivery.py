"""Sending the spool: what the API answered for leaves it, the rest stays, one bad result blocks nothing."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from satellite.client import IngestAnswer, RejectedResult, RequestRejectedError
from satellite.delivery import MAX_BATCH, send_oldest_batch
from satellite.spool import Spool


def result(result_id: str) -> dict:
    return {"resultId": result_id, "systemId": "billing", "configurationId": "home"}


def spool_with(tmp_path: Path, result_ids: list[str]) -> Spool:
    spool = Spool(tmp_path / "spool.sqlite3", max_results=10_000)
    spool.append([result(result_id) for result_id in result_ids])
    return spool


class ScriptedSender:
    """Answers like the API: `rejected` ids are refused per result, a `poison` id fails the whole batch."""

    def __init__(self, *, duplicates=(), rejected=(), unanswered=(), poison=()) -> None:
        self.duplicates, self.rejected = set(duplicates), set(rejected)
        self.unanswered, self.poison = set(unanswered), set(poison)
        self.batches: list[list[str]] = []
        self.accepted: list[str] = []

    async def send_results(self, results: list[dict]) -> IngestAnswer:
        ids = [item["resultId"] for item in results]
        self.batches.append(ids)
        if self.poison & set(ids):
            raise RequestRejectedError("the API rejected the request", status=422, code="VALIDATION_FAILED")
        answered = [result_id for result_id in ids if result_id not in self.unanswered]
        accepted = [i for i in answered if i not in self.duplicates | self.rejected]
        self.accepted += accepted
        return IngestAnswer(
            accepted=accepted,
            duplicates=[i for i in answered if i in self.duplicates],
            rejected=[RejectedResult(i, "FORBIDDEN", "not assigned") for i in answered if i in self.rejected],
        )


def remaining(spool: Spool) -> list[str]:
    return [item.result_id for item in spool.oldest(10_000)]


def test_accepted_and_duplicate_results_leave_the_spool(tmp_path: Path) -> None:
    # given
    spool = spool_with(tmp_path, ["a", "b"])

    # when
    settled = asyncio.run(send_oldest_batch(spool, ScriptedSender(duplicates={"b"})))

    # then
    assert settled == 2
    assert remaining(spool) == []


def test_rejected_results_leave_the_spool_and_are_logged_with_their_code(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # given
    spool = spool_with(tmp_path, ["a", "b"])

    # when
    with caplog.at_level(logging.WARNING, logger="satellite"):
        asyncio.run(send_oldest_batch(spool, ScriptedSender(rejected={"b"})))

    # then
    assert remaining(spool) == []
    rejections = [record for record in caplog.records if record.getMessage() == "result rejected"]
    assert [(r.fields["result_id"], r.fields["code"]) for r in rejections] == [("b", "FORBIDDEN")]


def test_results_the_answer_does_not_mention_stay_spooled(tmp_path: Path) -> None:
    # given
    spool = spool_with(tmp_path, ["a", "b"])

    # when
    asyncio.run(send_oldest_batch(spool, ScriptedSender(unanswered={"a"})))

    # then
    assert remaining(spool) == ["a"]


def test_a_batch_refused_as_a_whole_is_split_until_only_the_bad_result_is_dropped(tmp_path: Path) -> None:
    # given
    ids = [f"r{index}" for index in range(8)]
    spool = spool_with(tmp_path, ids)
    sender = ScriptedSender(poison={"r5"})

    # when
    settled = asyncio.run(send_oldest_batch(spool, sender))

    # then
    assert settled == 8
    assert sorted(sender.accepted) == [result_id for result_id in ids if result_id != "r5"]
    assert remaining(spool) == []


def test_batches_hold_at_most_500_results_oldest_first(tmp_path: Path) -> None:
    # given
    ids = [f"r{index:04d}" for index in range(MAX_BATCH + 20)]
    spool = spool_with(tmp_path, ids)
    sender = ScriptedSender()

    # when
    asyncio.run(send_oldest_batch(spool, sender))

    # then
    assert sender.batches == [ids[:MAX_BATCH]]
    assert remaining(spool) == ids[MAX_BATCH:]
