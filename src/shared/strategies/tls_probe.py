"""TLS probe: a verifying handshake, and on a verification failure an unverified one to read the certificate.

An expired, self-signed or mismatched certificate is a recorded result (chainValid false), not an error.
"""

from __future__ import annotations

import math
import ssl
import time
from datetime import UTC
from functools import lru_cache
from typing import TYPE_CHECKING

from shared.domain.models import format_timestamp
from shared.strategies.probing import ProbeFailure, ProbeResult
from shared.strategies.targets import resolve_target
from shared.strategies.tcp_probe import close_quietly, open_first_connection
from shared.strategies.tls_check import TlsConfig

if TYPE_CHECKING:
    from shared.strategies.probing import ProbeContext


@lru_cache(maxsize=1)
def _unverified_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def probe_tls(config: TlsConfig, context: ProbeContext, *, timeout_seconds: float) -> ProbeResult:
    addresses = await resolve_target(
        config.host, config.port, allow_private_targets=context.allow_private_targets
    )
    server_name = config.sni or config.host
    verify_error = None
    started = time.perf_counter()
    try:
        _reader, writer = await open_first_connection(
            addresses, config.port, ssl=context.verified_ssl_context(), server_hostname=server_name
        )
    except ssl.SSLCertVerificationError as error:
        verify_error = (error.verify_message or str(error))[:500]
        _reader, writer = await open_first_connection(
            addresses, config.port, ssl=_unverified_context(), server_hostname=server_name
        )
    handshake_ms = (time.perf_counter() - started) * 1000
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        certificate_der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        protocol = ssl_object.version() if ssl_object is not None else None
    finally:
        await close_quietly(writer)
    if not certificate_der:
        raise ProbeFailure("TLS_INVALID", "the server sent no certificate")
    return ProbeResult(
        result={
            **_certificate_facts(certificate_der, now=context.clock()),
            "chainValid": verify_error is None,
            "verifyError": verify_error,
            "protocol": protocol,
            "handshakeMs": round(handshake_ms, 3),
        }
    )


def _certificate_facts(certificate_der: bytes, *, now) -> dict[str, object]:
    from cryptography import x509  # deferred: heavy, only TLS probes need it

    try:
        certificate = x509.load_der_x509_certificate(certificate_der)
    except ValueError as error:
        raise ProbeFailure("TLS_INVALID", f"unreadable certificate: {error}"[:500]) from None
    not_after = certificate.not_valid_after_utc.astimezone(UTC)
    return {
        "daysUntilExpiry": math.floor((not_after - now).total_seconds() / 86400),
        "notAfter": format_timestamp(not_after),
        "issuer": certificate.issuer.rfc4514_string(),
        "subject": certificate.subject.rfc4514_string(),
    }
