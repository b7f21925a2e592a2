"""What probes share: the per-run context (HTTP session, TLS context, clock), their result, error codes."""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from shared.strategies.targets import TargetForbiddenError

if TYPE_CHECKING:
    import aiohttp

SslContextFactory = Callable[[], ssl.SSLContext]


class ProbeFailure(Exception):
    """A probe could not produce a result; `code` is the run's error code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class ProbeResult:
    result: dict[str, Any]
    """The stored result, keyed by the result model's aliases."""
    body: bytes | None = None
    """HTTP body (bounded) for assertions only; never stored."""
    body_encoding: str = "utf-8"

    def body_text(self) -> str | None:
        if self.body is None:
            return None
        try:
            return self.body.decode(self.body_encoding, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


@dataclass
class ProbeContext:
    """Shared by every probe of one run: one HTTP session, one verifying TLS context."""

    allow_private_targets: bool
    ssl_context_factory: SslContextFactory | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    http_connection_limit: int = 100
    _ssl_context: ssl.SSLContext | None = field(default=None, init=False)
    _http_session: aiohttp.ClientSession | None = field(default=None, init=False)

    def verified_ssl_context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            factory = self.ssl_context_factory or default_ssl_context
            self._ssl_context = factory()
        return self._ssl_context

    def http_session(self) -> aiohttp.ClientSession:
        if self._http_session is None:
            from shared.strategies.http_session import open_guarded_session

            self._http_session = open_guarded_session(
                allow_private_targets=self.allow_private_targets, connection_limit=self.http_connection_limit
            )
        return self._http_session

    async def aclose(self) -> None:
        if self._http_session is not None:
            await self._http_session.close()
            self._http_session = None


@lru_cache(maxsize=1)
def default_ssl_context() -> ssl.SSLContext:
    """The system trust store, loaded once per process (tens of ms) and reused by warm invocations."""
    return ssl.create_default_context()


def failure_from_exception(error: BaseException) -> ProbeFailure:
    """Map what a probe raised to an error code; the message never carries a stack trace."""
    if isinstance(error, ProbeFailure):
        return error
    if isinstance(error, TargetForbiddenError):
        return ProbeFailure(error.code, str(error))
    if isinstance(error, TimeoutError):
        return ProbeFailure("TIMEOUT", "the probe did not finish within its timeout")
    if isinstance(error, ssl.SSLError | ssl.CertificateError):
        return ProbeFailure("TLS_INVALID", _describe(error))
    if isinstance(error, socket.gaierror):
        return ProbeFailure("DNS_FAILURE", _describe(error))
    if isinstance(error, ConnectionRefusedError) or getattr(error, "errno", None) == errno.ECONNREFUSED:
        return ProbeFailure("CONNECTION_REFUSED", _describe(error))
    if isinstance(error, ConnectionResetError | BrokenPipeError) or getattr(error, "errno", None) in (
        errno.ECONNRESET,
        errno.EPIPE,
    ):
        return ProbeFailure("CONNECTION_RESET", _describe(error))
    if isinstance(error, OSError):
        return ProbeFailure("CONNECTION_FAILED", _describe(error))
    return ProbeFailure("PROBE_FAILED", _describe(error))


def _describe(error: BaseException) -> str:
    text = str(error).strip()
    name = type(error).__name__
    return f"{name}: {text}"[:500] if text else name
