"""SSRF guard: which addresses a probe may reach, checked on literal hosts and on resolved addresses.

Pure standard library so the config validators can use it without pulling in network clients.
"""

from __future__ import annotations

import ipaddress
import socket
from functools import lru_cache

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

TARGET_FORBIDDEN = "TARGET_FORBIDDEN"

_NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_SHARED_ADDRESS_SPACE = ipaddress.IPv4Network("100.64.0.0/10")


class TargetForbiddenError(Exception):
    """A probe target is, or resolves to, an address outside the public internet.

    Deliberately not an OSError: aiohttp wraps OSErrors from resolvers into DNS errors.
    """

    code = TARGET_FORBIDDEN

    def __init__(self, host: str, address: str | None = None):
        self.host = host
        self.address = address
        shown = host if address is None or address == host else f"{host} ({address})"
        super().__init__(f"{TARGET_FORBIDDEN}: {shown} is not a public address")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64_PREFIX or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


@lru_cache(maxsize=4096)
def is_forbidden_address(address: str) -> bool:
    """True for loopback, private, link-local, unique-local, unspecified, multicast and reserved addresses."""
    try:
        parsed: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            # ::ffff:0:0/96 counts as private as a whole; only the embedded IPv4 address says where it goes.
            return is_forbidden_address(str(parsed.ipv4_mapped))
        embedded = _embedded_ipv4(parsed)
        if embedded is not None and is_forbidden_address(str(embedded)):
            return True
    return (
        parsed.is_private
        or parsed.is_loopback
        or parsed.is_link_local
        or parsed.is_multicast
        or parsed.is_unspecified
        or parsed.is_reserved
        or parsed in _SHARED_ADDRESS_SPACE
    )


def literal_address(host: str) -> str | None:
    """The IP address a host names literally, including legacy IPv4 forms like `0177.1` or `2130706433`."""
    bare = host.strip().strip("[]").rstrip(".")
    try:
        return str(ipaddress.ip_address(bare.split("%", 1)[0]))
    except ValueError:
        pass
    if bare and all(part.isalnum() for part in bare.split(".")) and bare[0].isdigit():
        try:
            return socket.inet_ntoa(socket.inet_aton(bare))
        except OSError:
            return None
    return None


def is_localhost_name(host: str) -> bool:
    name = host.strip().rstrip(".").lower()
    return name == "localhost" or name.endswith(".localhost")


def forbidden_literal_reason(host: str) -> str | None:
    """Why a configured host is refused before any resolution, or None when only resolution can tell."""
    if is_localhost_name(host):
        return f"{TARGET_FORBIDDEN}: {host} is a loopback name"
    address = literal_address(host)
    if address is not None and is_forbidden_address(address):
        return f"{TARGET_FORBIDDEN}: {host} is not a public address"
    return None


def check_literal_host(host: str, *, allow_private_targets: bool) -> None:
    """Refuse a literal forbidden address (IP hosts never reach a resolver, so they are checked here)."""
    if allow_private_targets:
        return
    address = literal_address(host)
    if address is not None and is_forbidden_address(address):
        raise TargetForbiddenError(host, address)


def check_resolved_addresses(host: str, addresses: list[str], *, allow_private_targets: bool) -> None:
    """Refuse the whole target if any resolved address is forbidden (a mixed answer hints at rebinding)."""
    if allow_private_targets:
        return
    for address in addresses:
        if is_forbidden_address(address):
            raise TargetForbiddenError(host, address)


async def resolve_target(
    host: str, port: int, *, allow_private_targets: bool
) -> list[tuple[socket.AddressFamily, str]]:
    """Resolve a host for a stream connection and return checked (family, address) pairs to connect to."""
    literal = literal_address(host)
    if literal is not None:
        check_literal_host(host, allow_private_targets=allow_private_targets)
        family = socket.AF_INET6 if ":" in literal else socket.AF_INET
        return [(family, literal)]
    import asyncio  # deferred: config validation imports this module on the API cold path

    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    resolved: list[tuple[socket.AddressFamily, str]] = []
    for family, _type, _proto, _canonname, sockaddr in infos:
        entry = (family, str(sockaddr[0]))
        if entry not in resolved:
            resolved.append(entry)
    check_resolved_addresses(
        host, [address for _, address in resolved], allow_private_targets=allow_private_targets
    )
    return resolved
