"""A WSGI application around the in-process stack: what API Gateway does with a request (route by
template.yaml, build the 2.0 event, call the function), for tools such as schemathesis."""

from __future__ import annotations

import gzip
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from local.http_gateway import http_api_event, http_response
from local.lambda_runtime import invoke_function
from tests.integration.api.stack import Stack

_PATH_SAFE = "/:@!$&'()*+,;=-._~"


class WsgiGateway:
    def __init__(self, stack: Stack):
        self._stack = stack

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        method = environ["REQUEST_METHOD"].upper()
        raw_path = quote(environ.get("PATH_INFO", "/").encode("latin-1"), safe=_PATH_SAFE) or "/"
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = [
            (name[5:].replace("_", "-").lower(), value)
            for name, value in environ.items()
            if name.startswith("HTTP_")
        ]
        if environ.get("CONTENT_TYPE"):
            headers.append(("content-type", environ["CONTENT_TYPE"]))
        matched = self._stack.routes.match(method, raw_path)
        if matched is None:
            status, answer_headers, payload = (
                404,
                [("Content-Type", "application/json")],
                b'{"message":"Not Found"}',
            )
        else:
            route, parameters = matched
            event = http_api_event(
                route=route,
                path_parameters=parameters,
                method=method,
                raw_path=raw_path,
                raw_query_string=environ.get("QUERY_STRING", ""),
                headers=headers,
                body=body,
                source_ip="127.0.0.1",
            )
            result = invoke_function(self._stack.template.function(route.function), event)
            status, answer_headers, payload = decoded(*http_response(result))
        start_response(f"{status} {HTTPStatus(status).phrase}", answer_headers)
        return [payload]


def decoded(status: int, headers: list, payload: bytes) -> tuple[int, list, bytes]:
    """A gzip answer as an HTTP client hands it on (requests, browsers): decompressed. The WSGI
    test client schemathesis uses does not, so it would check the compressed bytes."""
    if ("content-encoding", "gzip") not in [(name.lower(), value.lower()) for name, value in headers]:
        return status, headers, payload
    plain = [(n, v) for n, v in headers if n.lower() not in ("content-encoding", "content-length")]
    return status, plain, gzip.decompress(payload)
