"""HTTP probe on aiohttp: redirects followed by hand so every hop passes the SSRF guard, body read bounded."""

from __future__ import annotations

import base64
import errno
import ssl
import time
from typing import TYPE_CHECKING

import aiohttp
from yarl import URL

from shared.strategies.http_check import BODY_READ_CAP_BYTES, MAX_REDIRECTS, REPORTED_HEADERS, HttpConfig
from shared.strategies.probing import ProbeFailure, ProbeResult, failure_from_exception
from shared.strategies.targets import TargetForbiddenError, check_literal_host

if TYPE_CHECKING:
    from shared.strategies.probing import ProbeContext

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_READ_CHUNK_BYTES = 64 * 1024
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


async def probe_http(config: HttpConfig, context: ProbeContext, *, timeout_seconds: float) -> ProbeResult:
    session = context.http_session()
    method = config.method
    data = config.body.encode() if config.body is not None else None
    url = URL(config.url, encoded=False)
    headers = _with_basic_auth(config)
    redirects = 0
    started = time.perf_counter()
    while True:
        _check_hop(url, allow_private_targets=context.allow_private_targets)
        try:
            response = await session.request(
                method,
                url,
                headers=headers,
                data=data,
                allow_redirects=False,
                ssl=_tls_for(url, verify=config.verify_tls, context=context),
            )
        except Exception as error:
            raise _http_failure(error) from None
        try:
            location = response.headers.get("Location")
            if config.follow_redirects and response.status in _REDIRECT_STATUSES and location:
                redirects += 1
                if redirects > MAX_REDIRECTS:
                    raise ProbeFailure("TOO_MANY_REDIRECTS", f"more than {MAX_REDIRECTS} redirects")
                next_url = _redirect_target(url, location)
                if next_url.origin() != url.origin():
                    headers = _without_credentials(headers)
                url = next_url
                if response.status == 303 or (response.status in (301, 302) and method == "POST"):
                    method, data = ("HEAD" if method == "HEAD" else "GET"), None
                continue
            body, truncated = await _read_bounded(response)
        except ProbeFailure:
            raise
        except Exception as error:
            raise _http_failure(error) from None
        finally:
            response.release()
        latency_ms = (time.perf_counter() - started) * 1000
        return ProbeResult(
            result={
                "statusCode": response.status,
                "latencyMs": round(latency_ms, 3),
                "headers": {
                    name: response.headers[name] for name in REPORTED_HEADERS if name in response.headers
                },
                "contentType": response.headers.get("Content-Type"),
                "bodyBytes": len(body),
                "bodyTruncated": truncated,
                "redirects": redirects,
            },
            body=body,
            body_encoding=response.charset or "utf-8",
        )


def _with_basic_auth(config: HttpConfig) -> dict[str, str]:
    # As a header, so that a cross-origin redirect drops it like any other credential.
    if config.basic_auth is None:
        return config.headers
    credentials = f"{config.basic_auth.username}:{config.basic_auth.password or ''}".encode()
    return {**config.headers, "Authorization": "Basic " + base64.b64encode(credentials).decode("ascii")}


def _without_credentials(headers: dict[str, str]) -> dict[str, str]:
    # Like browsers: credentials configured for one origin are not handed to another by a redirect.
    return {name: value for name, value in headers.items() if name.lower() not in _CREDENTIAL_HEADERS}


def _tls_for(url: URL, *, verify: bool, context: ProbeContext) -> ssl.SSLContext | bool:
    # Built only when an https hop needs it: plain-HTTP runs never load a trust store.
    if not verify:
        return False
    return context.verified_ssl_context() if url.scheme == "https" else True


def _check_hop(url: URL, *, allow_private_targets: bool) -> None:
    # aiohttp hands IP literals straight to connect, never to the resolver: check them here.
    if url.host is None:
        raise ProbeFailure("BAD_RESPONSE", "redirect to a URL without a host")
    check_literal_host(url.host, allow_private_targets=allow_private_targets)


def _redirect_target(current: URL, location: str) -> URL:
    try:
        target = current.join(URL(location))
    except ValueError:
        raise ProbeFailure("BAD_RESPONSE", "redirect with an invalid Location") from None
    if target.scheme not in ("http", "https"):
        raise ProbeFailure("BAD_RESPONSE", f"redirect to a non-HTTP URL ({target.scheme})")
    return target


async def _read_bounded(response: aiohttp.ClientResponse) -> tuple[bytes, bool]:
    # Content-Length bounds the read only without decompression: a small gzip body can inflate to gigabytes.
    encoded = response.headers.get("Content-Encoding", "identity").lower() != "identity"
    if not encoded and response.content_length is not None and response.content_length <= BODY_READ_CAP_BYTES:
        return await response.read(), False
    chunks: list[bytes] = []
    size = 0
    while size < BODY_READ_CAP_BYTES:
        chunk = await response.content.read(min(_READ_CHUNK_BYTES, BODY_READ_CAP_BYTES - size))
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)
        size += len(chunk)
    truncated = not response.content.at_eof()
    if truncated:
        # The rest is never read; the connection cannot be reused.
        response.close()
    return b"".join(chunks), truncated


def _http_failure(error: BaseException) -> BaseException:
    if isinstance(error, TimeoutError | TargetForbiddenError | ProbeFailure):
        return error
    cause = getattr(error, "os_error", None) or error.__cause__
    if isinstance(cause, TargetForbiddenError):
        return cause
    if isinstance(error, aiohttp.ClientConnectorDNSError):
        return ProbeFailure("DNS_FAILURE", f"could not resolve {error.host}")
    if isinstance(error, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
        return ProbeFailure("TLS_INVALID", str(error)[:500])
    if isinstance(error, aiohttp.ClientConnectorError):
        return failure_from_exception(error.os_error)
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return ProbeFailure(
            "CONNECTION_RESET", "the server closed the connection without a complete response"
        )
    if isinstance(error, aiohttp.ClientOSError) and error.errno in (errno.ECONNRESET, errno.EPIPE):
        return ProbeFailure("CONNECTION_RESET", str(error)[:500])
    if isinstance(error, aiohttp.ClientResponseError):
        return ProbeFailure("BAD_RESPONSE", f"invalid HTTP response: {error.message}"[:500])
    if isinstance(error, aiohttp.ClientPayloadError):
        return ProbeFailure("BAD_RESPONSE", f"invalid HTTP body: {error}"[:500])
    return failure_from_exception(error)
