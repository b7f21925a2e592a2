"""The Satellite API over HTTP: assignments (with ETag), results, heartbeat.

Errors are sorted by what the agent should do about them: `UnauthorizedError` stops the agent,
`ApiUnavailableError` means "wait and try again", `RequestRejectedError` means "this request
will never succeed as it is".
"""

from __future__ import annotations

import asyncio
import email.utils
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

import aiohttp
from multidict import CIMultiDict

from satellite import __version__

RETRYABLE_STATUSES = frozenset({HTTPStatus.REQUEST_TIMEOUT, HTTPStatus.TOO_MANY_REQUESTS})


class SatelliteApiError(Exception):
    def __init__(self, reason: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.code = code


class UnauthorizedError(SatelliteApiError):
    """The token is wrong, revoked or rotated: retrying cannot help."""


class ApiUnavailableError(SatelliteApiError):
    def __init__(
        self,
        reason: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retry_after_seconds: float | None = None,
    ) -> None:
        super().__init__(reason, status=status, code=code)
        self.retry_after_seconds = retry_after_seconds


class RequestRejectedError(SatelliteApiError):
    """A 4xx other than 401/403/408/429: the request itself is unacceptable."""


@dataclass(frozen=True)
class AssignmentsAnswer:
    etag: str | None
    items: list[dict[str, Any]]


@dataclass(frozen=True)
class RejectedResult:
    result_id: str
    code: str
    message: str


@dataclass(frozen=True)
class IngestAnswer:
    accepted: list[str]
    duplicates: list[str]
    rejected: list[RejectedResult]


class SatelliteClient:
    def __init__(self, endpoint: str, token: str, *, timeout_seconds: float) -> None:
        self._endpoint = endpoint.rstrip("/")
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> SatelliteClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def fetch_assignments(self, etag: str | None) -> AssignmentsAnswer | None:
        """The current assignments, or None when they still match `etag` (304)."""
        headers = {"If-None-Match": etag} if etag else {}
        status, answer_headers, body = await self._request("GET", "/satellite/assignments", headers=headers)
        return assignments_answer(status, answer_headers.get("ETag"), body)

    async def send_results(self, results: list[dict[str, Any]]) -> IngestAnswer:
        _, _, body = await self._request("POST", "/satellite/results", payload={"results": results})
        return ingest_answer(body)

    async def send_heartbeat(self, version: str = __version__) -> None:
        await self._request("POST", "/satellite/heartbeat", payload={"version": version})

    async def _request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        payload: dict[str, Any] | None = None,
    ) -> tuple[int, Mapping[str, str], Any]:
        session = self._open_session()
        try:
            async with session.request(
                method, self._endpoint + path, headers=headers, json=payload
            ) as answer:
                raw = await answer.read()
                status, answer_headers = answer.status, CIMultiDict(answer.headers)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise ApiUnavailableError(_connection_reason(error)) from None
        body = _json_or_none(raw)
        raise_for_status(status, answer_headers, body)
        return status, answer_headers, body

    def _open_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout,
                headers={
                    "Authorization": f"Bearer {self._token}",
                    "User-Agent": f"healthcheck-satellite/{__version__}",
                },
                trust_env=True,
            )
        return self._session


def raise_for_status(status: int, headers: Mapping[str, str], body: Any) -> None:
    if status < 400:
        return
    code = _error_code(body)
    if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
        raise UnauthorizedError("the API refused the satellite token", status=status, code=code)
    if status >= 500 or status in RETRYABLE_STATUSES:
        raise ApiUnavailableError(
            "the API is unavailable",
            status=status,
            code=code,
            retry_after_seconds=retry_after_seconds(headers.get("Retry-After")),
        )
    raise RequestRejectedError("the API rejected the request", status=status, code=code)


def assignments_answer(status: int, etag: str | None, body: Any) -> AssignmentsAnswer | None:
    if status == HTTPStatus.NOT_MODIFIED:
        return None
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise ApiUnavailableError("the assignments answer has no item list", status=status)
    return AssignmentsAnswer(etag=etag, items=[item for item in items if isinstance(item, dict)])


def ingest_answer(body: Any) -> IngestAnswer:
    if not isinstance(body, dict):
        raise ApiUnavailableError("the results answer is not a JSON object")
    rejected = [
        RejectedResult(
            str(item.get("resultId")), str(item.get("code", "")), str(item.get("message", ""))[:500]
        )
        for item in body.get("rejected") or []
        if isinstance(item, dict)
    ]
    return IngestAnswer(
        accepted=[str(result_id) for result_id in body.get("accepted") or []],
        duplicates=[str(result_id) for result_id in body.get("duplicates") or []],
        rejected=rejected,
    )


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Retry-After as seconds from now; it may be a number of seconds or an HTTP date."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def _error_code(body: Any) -> str | None:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        code = body["error"].get("code")
        return str(code) if code is not None else None
    return None


def _json_or_none(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        return None


def _connection_reason(error: BaseException) -> str:
    if isinstance(error, TimeoutError | asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return "the API did not answer in time"
    return f"cannot reach the API ({type(error).__name__})"
