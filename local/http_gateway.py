"""A loopback HTTP server doing what API Gateway (HTTP API, payload format 2.0) does for template routes."""

from __future__ import annotations

import base64
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from local.template import LOCAL_ACCOUNT_ID, HttpRoute, LambdaFunction, Template

log = logging.getLogger("local.http")

LOCAL_API_ID = "local"
_TEXT_CONTENT_TYPES = re.compile(
    r"^(text/|application/(json|xml|javascript|x-www-form-urlencoded|[\w.+-]+\+(json|xml))\b)", re.IGNORECASE
)
# What API Gateway answers itself, without calling a function.
_NOT_FOUND = (404, {"message": "Not Found"})
_INTERNAL_ERROR = (500, {"message": "Internal Server Error"})

Invoke = Callable[[LambdaFunction, dict], Any]


class RouteTable:
    """Picks the route API Gateway would: most literal path first, `{proxy+}` last, a method before ANY."""

    def __init__(self, routes: list[HttpRoute]):
        self._routes = sorted(
            ((route, _path_pattern(route.path)) for route in routes),
            key=lambda entry: (
                entry[0].is_greedy,
                -sum(1 for segment in entry[0].path.split("/") if segment and "{" not in segment),
                entry[0].method == "ANY",
            ),
        )

    def match(self, method: str, path: str) -> tuple[HttpRoute, dict[str, str]] | None:
        for route, pattern in self._routes:
            if route.method not in (method, "ANY"):
                continue
            found = pattern.fullmatch(path)
            if found:
                return route, {name: unquote(value) for name, value in found.groupdict().items()}
        return None


def _path_pattern(path: str) -> re.Pattern:
    parts = []
    for segment in path.strip("/").split("/"):
        if segment.startswith("{") and segment.endswith("+}"):
            parts.append(f"(?P<{segment[1:-2]}>.+)")
        elif segment.startswith("{") and segment.endswith("}"):
            parts.append(f"(?P<{segment[1:-1]}>[^/]+)")
        else:
            parts.append(re.escape(segment))
    return re.compile("/" + "/".join(parts))


def http_api_event(
    *,
    route: HttpRoute,
    path_parameters: dict[str, str],
    method: str,
    raw_path: str,
    raw_query_string: str,
    headers: list[tuple[str, str]],
    body: bytes,
    source_ip: str,
    protocol: str = "HTTP/1.1",
) -> dict:
    """The payload-format-2.0 event API Gateway sends a Lambda integration."""
    joined_headers: dict[str, str] = {}
    for name, value in headers:
        name = name.lower()
        joined_headers[name] = f"{joined_headers[name]},{value}" if name in joined_headers else value
    cookie_header = joined_headers.pop("cookie", "")
    query_parameters: dict[str, str] = {}
    for name, value in parse_qsl(raw_query_string, keep_blank_values=True):
        query_parameters[name] = f"{query_parameters[name]},{value}" if name in query_parameters else value
    now = datetime.now(UTC)
    domain_name = joined_headers.get("host", "127.0.0.1")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query_string,
        "headers": joined_headers,
        "requestContext": {
            "accountId": LOCAL_ACCOUNT_ID,
            "apiId": LOCAL_API_ID,
            "domainName": domain_name,
            "domainPrefix": domain_name.split(".")[0],
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": protocol,
                "sourceIp": source_ip,
                "userAgent": joined_headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route.route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookie_header:
        event["cookies"] = [cookie.strip() for cookie in cookie_header.split(";") if cookie.strip()]
    if query_parameters:
        event["queryStringParameters"] = query_parameters
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body:
        if _is_text(joined_headers, body):
            event["body"] = body.decode("utf-8")
        else:
            event["body"] = base64.b64encode(body).decode("ascii")
            event["isBase64Encoded"] = True
    return event


def _is_text(headers: dict[str, str], body: bytes) -> bool:
    if headers.get("content-encoding", "identity").lower() != "identity":
        return False
    content_type = headers.get("content-type", "")
    if content_type and not _TEXT_CONTENT_TYPES.match(content_type):
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def http_response(result: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """What API Gateway makes of a function's answer: a 2.0 response, or any JSON as a 200 body."""
    if not (isinstance(result, dict) and "statusCode" in result):
        return 200, [("Content-Type", "application/json")], json.dumps(result).encode()
    headers = [(name, str(value)) for name, value in (result.get("headers") or {}).items()]
    headers += [("Set-Cookie", cookie) for cookie in result.get("cookies") or []]
    body = result.get("body") or ""
    if result.get("isBase64Encoded"):
        payload = base64.b64decode(body)
    else:
        payload = body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode()
    return int(result["statusCode"]), headers, payload


class LocalHttpGateway(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, template: Template, invoke: Invoke):
        self.template = template
        self.routes = RouteTable(template.http_routes)
        self.invoke = invoke
        super().__init__(("127.0.0.1", port), _GatewayRequestHandler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, source_ip: str):
        split_target = urlsplit(target)
        raw_path = split_target.path or "/"
        matched = self.routes.match(method, raw_path)
        if matched is None:
            return _json_answer(*_NOT_FOUND)
        route, path_parameters = matched
        event = http_api_event(
            route=route,
            path_parameters=path_parameters,
            method=method,
            raw_path=raw_path,
            raw_query_string=split_target.query,
            headers=headers,
            body=body,
            source_ip=source_ip,
        )
        started = time.monotonic()
        try:
            result = self.invoke(self.template.functions[route.function], event)
            status, response_headers, payload = http_response(result)
        except Exception:
            log.exception("%s failed on %s", route.function, route.route_key)
            return _json_answer(*_INTERNAL_ERROR)
        log.info("%s %s -> %s %d (%.0f ms)", method, target, route.function, status, _ms_since(started))
        return status, response_headers, payload


def _json_answer(status: int, body: dict) -> tuple[int, list[tuple[str, str]], bytes]:
    return status, [("Content-Type", "application/json")], json.dumps(body).encode()


def _ms_since(started: float) -> float:
    return (time.monotonic() - started) * 1000


class _GatewayRequestHandler(BaseHTTPRequestHandler):
    server: LocalHttpGateway
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle's algorithm the body waits for the
    # client's delayed ACK of the headers (up to 40 ms on Linux loopback).
    disable_nagle_algorithm = True

    def _handle(self) -> None:
        body = self._read_body()
        status, headers, payload = self.server.answer(
            self.command, self.path, list(self.headers.items()), body, self.client_address[0]
        )
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    # Every method reaches the routes, as through API Gateway: a wrong one gets the API's own 405.
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_TRACE = _handle

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)
