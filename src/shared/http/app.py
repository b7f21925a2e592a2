"""Building a resolver for the HTTP functions and the checks every request passes first."""

from __future__ import annotations

import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from pydantic import BaseModel

from shared.domain.errors import BadRequestError
from shared.http.errors import error_response, register_error_handlers
from shared.http.ordering import install_guards_before_validation

MAX_BODY_BYTES = 256 * 1024


def new_resolver(
    routers: tuple = (), *, method_catalog: Callable[[], list[APIGatewayHttpResolver]] | None = None
) -> APIGatewayHttpResolver:
    """A validating resolver with API.md's error mapping and the given routers. `method_catalog`
    names the resolvers whose routes tell a 405 from a 404 (by default only this one)."""
    app = APIGatewayHttpResolver(
        enable_validation=True,
        response_validation_error_http_code=HTTPStatus.INTERNAL_SERVER_ERROR,
    )
    install_guards_before_validation(app)
    register_error_handlers(app, method_catalog or (lambda: [app]))
    for router in routers:
        app.include_router(router)
    return app


def handle(app: APIGatewayHttpResolver, event: dict, context: Any) -> dict:
    """Refuse oversize bodies before anything else (other body checks follow authentication), then resolve."""
    body = event.get("body") or ""
    size = len(body) * 3 // 4 if event.get("isBase64Encoded") else len(body.encode(errors="surrogatepass"))
    if size > MAX_BODY_BYTES:
        return _raw(error_response(413, "PAYLOAD_TOO_LARGE", "the body is larger than 256 KiB"))
    return app.resolve(event, context)


def _raw(response: Response) -> dict:
    return {
        "statusCode": response.status_code,
        "headers": {"Content-Type": "application/json"},
        "body": response.body,
        "isBase64Encoded": False,
    }


def json_response(payload: Any, status: int = 200, headers: dict | None = None) -> Response:
    if isinstance(payload, BaseModel):
        payload = payload.model_dump(mode="json", by_alias=True)
    return Response(status_code=status, content_type="application/json", body=payload, headers=headers or {})


def no_content() -> Response[None]:
    return Response(status_code=204, body=None)


_VERSION = re.compile(r"^[0-9]{1,18}$")


def if_match(app: APIGatewayHttpResolver) -> int | None:
    """The version a PATCH or PUT expects, from `If-Match` (quotes and W/ tolerated)."""
    raw = app.current_event.headers.get("if-match")
    if raw is None:
        return None
    cleaned = raw.strip().removeprefix("W/").strip('"')
    if not _VERSION.match(cleaned):
        raise BadRequestError(
            "If-Match must be a version number",
            [{"field": "header.If-Match", "message": "expected an integer version (at most 18 digits)"}],
        )
    return int(cleaned)


def page_view(page: dict) -> dict:
    return {
        "items": [
            i.model_dump(mode="json", by_alias=True) if isinstance(i, BaseModel) else i for i in page["items"]
        ],
        "nextCursor": page["next_cursor"],
    }
