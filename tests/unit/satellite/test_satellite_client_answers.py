"""How API answers are read: which failures stop the agent, which are retried, and how long to wait."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from satellite.client import (
    ApiUnavailableError,
    RequestRejectedError,
    UnauthorizedError,
    assignments_answer,
    ingest_answer,
    raise_for_status,
    retry_after_seconds,
)


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_token_is_an_unauthorized_error(status: int) -> None:
    # when / then
    with pytest.raises(UnauthorizedError) as raised:
        raise_for_status(status, {}, {"error": {"code": "UNAUTHENTICATED", "message": "no"}})
    assert raised.value.code == "UNAUTHENTICATED"


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503])
def test_throttling_and_server_errors_mean_try_again_later(status: int) -> None:
    # when / then
    with pytest.raises(ApiUnavailableError) as raised:
        raise_for_status(status, {"Retry-After": "7"}, None)
    assert raised.value.retry_after_seconds == 7


@pytest.mark.parametrize("status", [400, 404, 413, 422])
def test_other_client_errors_mean_the_request_itself_is_wrong(status: int) -> None:
    # when / then
    with pytest.raises(RequestRejectedError):
        raise_for_status(status, {}, None)


def test_retry_after_may_be_an_http_date() -> None:
    # given
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)

    # when
    seconds = retry_after_seconds("Wed, 01 Jan 2025 12:00:30 GMT", now=now)

    # then
    assert seconds == 30


@pytest.mark.parametrize("value", [None, "", "soon", "-5"])
def test_an_unreadable_retry_after_is_ignored(value: str | None) -> None:
    # when / then
    assert retry_after_seconds(value) is None


def test_not_modified_means_the_assignments_are_unchanged() -> None:
    # when / then
    assert assignments_answer(304, '"v1"', None) is None


def test_new_assignments_come_with_their_etag() -> None:
    # when
    answer = assignments_answer(200, '"v2"', {"items": [{"systemId": "billing"}]})

    # then
    assert answer is not None
    assert (answer.etag, answer.items) == ('"v2"', [{"systemId": "billing"}])


def test_an_assignments_answer_without_items_is_not_taken_as_no_assignments() -> None:
    # when / then
    with pytest.raises(ApiUnavailableError):
        assignments_answer(200, '"v3"', {"unexpected": True})


def test_an_ingest_answer_lists_accepted_duplicate_and_rejected_results() -> None:
    # when
    answer = ingest_answer(
        {
            "accepted": ["a"],
            "duplicates": ["b"],
            "rejected": [{"resultId": "c", "code": "FORBIDDEN", "message": "not assigned"}],
        }
    )

    # then
    assert answer.accepted == ["a"]
    assert answer.duplicates == ["b"]
    assert [(item.result_id, item.code) for item in answer.rejected] == [("c", "FORBIDDEN")]
