"""DNS probe on dnspython: one query to the configured name server (or the system's), raw rcode kept."""

from __future__ import annotations

import time
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import dns.asyncquery
import dns.exception
import dns.message
import dns.rcode
import dns.rdatatype
import dns.resolver

from shared.strategies.dns_check import DnsConfig
from shared.strategies.probing import ProbeFailure, ProbeResult
from shared.strategies.targets import check_literal_host

if TYPE_CHECKING:
    from shared.strategies.probing import ProbeContext


@lru_cache(maxsize=1)
def system_nameservers() -> tuple[tuple[str, int], ...]:
    """The platform's name servers (resolv.conf); trusted, so outside the SSRF guard."""
    resolver = dns.resolver.Resolver(configure=True)
    return tuple(
        (str(nameserver), resolver.nameserver_ports.get(str(nameserver), resolver.port))
        for nameserver in resolver.nameservers
    )


async def probe_dns(config: DnsConfig, context: ProbeContext, *, timeout_seconds: float) -> ProbeResult:
    if config.resolver is not None:
        check_literal_host(str(config.resolver), allow_private_targets=context.allow_private_targets)
        nameservers: tuple[tuple[str, int], ...] = ((str(config.resolver), config.resolver_port),)
    else:
        nameservers = system_nameservers()
    if not nameservers:
        raise ProbeFailure("DNS_FAILURE", "no name server configured")
    query = dns.message.make_query(config.name, config.record_type)
    last_error: BaseException | None = None
    for address, port in nameservers:
        started = time.perf_counter()
        try:
            response, _used_tcp = await dns.asyncquery.udp_with_fallback(
                query, address, timeout=timeout_seconds, port=port
            )
        except dns.exception.Timeout:
            last_error = ProbeFailure("TIMEOUT", f"name server {address} did not answer")
            continue
        except dns.exception.DNSException as error:
            last_error = ProbeFailure("BAD_RESPONSE", f"name server {address}: {error}"[:500])
            continue
        except OSError as error:
            last_error = error
            continue
        resolve_ms = (time.perf_counter() - started) * 1000
        return ProbeResult(
            result={
                "rcode": dns.rcode.to_text(response.rcode()),
                "answers": _answers(response, config.record_type),
                "resolveMs": round(resolve_ms, 3),
                "resolver": address,
            }
        )
    assert last_error is not None
    raise last_error


def _answers(response: dns.message.Message, record_type: str) -> list[str]:
    wanted = dns.rdatatype.from_text(record_type)
    return [
        _answer_text(record_type, rdata)
        for rrset in response.answer
        if rrset.rdtype == wanted
        for rdata in rrset
    ]


def _answer_text(record_type: str, rdata: Any) -> str:
    if record_type in ("A", "AAAA"):
        return str(rdata.address)
    if record_type in ("CNAME", "NS"):
        return rdata.target.to_text(omit_final_dot=True).lower()
    if record_type == "MX":
        return f"{rdata.preference} {rdata.exchange.to_text(omit_final_dot=True).lower()}"
    if record_type == "TXT":
        return b"".join(rdata.strings).decode("utf-8", errors="replace")
    return rdata.to_text()
