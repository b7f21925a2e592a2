"""What a request body must be before any schema sees it: JSON that DynamoDB can store as it is.

Checked after authentication and before validation, so a malformed body is a 400 in API.md's shape
(never a 500, never stored): UTF-8, parseable, no NaN/Infinity, nested at most 32 levels (DynamoDB's
own limit), and every number within DynamoDB's 38 significant digits and exponent range.
"""

from __future__ import annotations

import base64
import binascii
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from shared.domain.errors import BadRequestError
from shared.domain.storable import MAX_NESTING, StorableNumberError, check_storable_number, nesting_depth

JSON_CONTENT_TYPES = ("application/json",)


class AnyBody:
    """A route middleware declaring that the route takes any body (plain text, binary): the JSON
    checks below skip it, and the route bounds what it keeps itself."""

    __name__ = "any_body"

    def __call__(self, app: Any, next_middleware: Any) -> Any:
        return next_middleware(app)


ANY_BODY = AnyBody()


def takes_any_body(middlewares: list) -> bool:
    return any(isinstance(middleware, AnyBody) for middleware in middlewares)


def body_bytes(event: dict) -> bytes:
    """The raw body of an API Gateway (HTTP API) event."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=False)
        except (binascii.Error, ValueError):
            raise BadRequestError("the body is not valid base64") from None
    return body.encode("utf-8", errors="surrogatepass")


def is_json_content_type(headers: dict[str, str]) -> bool:
    content_type = headers.get("content-type", "application/json").split(";")[0].strip().lower()
    return content_type in JSON_CONTENT_TYPES or content_type.endswith("+json")


def check_json_body(raw: bytes, headers: dict[str, str], *, required: bool, strict: bool = True) -> Any:
    """The parsed body, or BadRequestError naming what is wrong with it. Without `strict`, NaN,
    Infinity, unstorable numbers and deep nesting are left for the route's own per-item validation."""
    if not raw.strip():
        if required:
            raise BadRequestError("the body is empty; this route needs a JSON object")
        return None
    if not is_json_content_type(headers):
        raise BadRequestError("the body must be application/json")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequestError("the body is not valid UTF-8") from None
    try:
        document = (
            json.loads(text, parse_constant=_refuse_constant, parse_float=_number, parse_int=_number)
            if strict
            else json.loads(text)
        )
    except RecursionError:
        raise _too_deep() from None
    except _NumberRefused as refused:
        raise BadRequestError(f"the body holds a number that cannot be stored: {refused}") from None
    except ValueError:
        raise BadRequestError("the body is not valid JSON") from None
    if strict and nesting_depth(document) > MAX_NESTING:
        raise _too_deep()
    return document


def _too_deep() -> BadRequestError:
    return BadRequestError(f"the body is nested deeper than {MAX_NESTING} levels")


class _NumberRefused(Exception):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NumberRefused(f"{name} is not a number")


def _number(text: str) -> Any:
    try:
        check_storable_number(Decimal(text))
    except (InvalidOperation, StorableNumberError) as error:
        raise _NumberRefused(f"{text[:40]}: {error}") from None
    return float(text) if any(c in text for c in ".eE") else int(text)
