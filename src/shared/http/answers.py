"""What each route can answer, for its OpenAPI description: its success model and API.md's error
shape for every error status its kind of route can give."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from shared.domain.views import ErrorView

# Every route: a malformed body or parameter, no or a wrong key, unknown resource, schema failure,
# store throttling or outage, and the fixed 500.
READ_ERRORS = (400, 401, 403, 404, 422, 429, 500, 503)
WRITE_ERRORS = (*READ_ERRORS, 409, 412, 413)
SATELLITE_ERRORS = (400, 401, 403, 413, 422, 429, 500, 503)


def answers(
    status: int,
    model: type | None = None,
    *,
    errors: tuple[int, ...] = READ_ERRORS,
    text: tuple[str, ...] = (),
) -> dict[int, Any]:
    """Powertools `responses=` for a route answering `model` (JSON) or a document of one of the
    `text` media types (HTML, SVG, CSS...) with `status`, or one of `errors`."""
    documented: dict[int, Any] = {status: _answer(status, model, text)}
    for code in errors:
        documented[code] = _answer(code, ErrorView)
    return documented


def _answer(status: int, model: type | None, text: tuple[str, ...] = ()) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": HTTPStatus(status).phrase}
    content: dict[str, Any] = {media_type: {"schema": {"type": "string"}} for media_type in text}
    if model is not None:
        content["application/json"] = {"model": model}
    if content:
        answer["content"] = content
    return answer
