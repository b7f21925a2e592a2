"""DynamoDB calls handed to moto's handler directly, without its Flask application around it.

moto's server routes every request through a host-inferring dispatcher, a Flask application per
service, werkzeug's URL map and a view wrapper that builds a Flask response: about a fifth of the
DynamoDB emulation's CPU under the soak, spent before and after the handler does any work. A DynamoDB
call has one route (`POST /`, its operation in `X-Amz-Target`), so it is handed to moto's
`DynamoHandler.dispatch` as moto's in-process mock hands it over (a normalized request, its raw URL,
its headers), and the answer is written as the Flask application writes it: moto's status, headers
and body, its CRC32 header included, plus the two headers the application adds (the CORS one, the
length). Anything else (another service, another path, a browser's CORS request) keeps the Flask path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import ClientError
from moto.core.request import Request
from moto.dynamodb.responses import DynamoHandler
from moto.moto_api import recorder
from werkzeug.http import HTTP_STATUS_CODES

_TARGET_PREFIX = "DynamoDB_20120810."
# What moto's Flask application adds to every answer (flask_cors sends it unasked, and no DynamoDB
# client sends an Origin header) and what werkzeug's response falls back to.
_CORS_HEADER = ("Access-Control-Allow-Origin", "*")
_DEFAULT_CONTENT_TYPE = "text/html; charset=utf-8"


class _ServerRequest(Request):
    """A request received by a WSGI server, as moto's Flask application builds it: moto leaves the
    Date header to the server."""

    from_wsgi_server = True


def is_direct_call(environ: dict[str, Any]) -> bool:
    """A signed DynamoDB call on the one route moto serves it on, from an SDK (not a browser)."""
    return (
        environ.get("HTTP_X_AMZ_TARGET", "").startswith(_TARGET_PREFIX)
        and environ.get("REQUEST_METHOD") == "POST"
        and environ.get("PATH_INFO") == "/"
        and "HTTP_ORIGIN" not in environ
        and _signed_for(environ.get("HTTP_AUTHORIZATION", "")) == "dynamodb"
    )


def _signed_for(authorization: str) -> str | None:
    """The service of a SigV4 credential scope, which is how moto's dispatcher picks the service."""
    try:
        return authorization.split(",")[0].split()[1].split("/")[3].lower()
    except IndexError:
        return None


class DirectDynamoDB:
    """WSGI application: DynamoDB calls straight to moto's handler, every other request to `fallback`."""

    def __init__(self, fallback: Callable[[dict, Callable], Iterable[bytes]]):
        self.fallback = fallback

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if not is_direct_call(environ):
            return self.fallback(environ, start_response)
        status, headers, body = answer(environ)
        start_response(status, headers)
        return [body]


def answer(environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """moto's answer to one DynamoDB call as the status line, headers and body its server sends."""
    request = _ServerRequest(environ)
    recorder._record_request(request)
    try:
        result = DynamoHandler.dispatch(request, request.raw_url, dict(request.headers))
    except ClientError as error:  # as moto's Flask view does
        result = 400, {}, error.response["Error"]["Message"]
    status, moto_headers, content = result if len(result) == 3 else (200, {}, result)
    body = content.encode() if isinstance(content, str) else bytes(content or b"")
    headers = [(name, str(value)) for name, value in moto_headers.items() if name.lower() != "content-length"]
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", _DEFAULT_CONTENT_TYPE))
    headers += [("Content-Length", str(len(body))), _CORS_HEADER]
    status = int(status)
    return f"{status} {HTTP_STATUS_CODES.get(status, 'UNKNOWN').upper()}", headers, body
