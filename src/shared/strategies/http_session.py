"""The HTTP session every probe of a run shares: aiohttp behind a resolver that applies the SSRF guard.

It knows nothing of the probe context (`probing`), which opens it lazily: the HTTP probe and the
context depend on this module and never on each other.
"""

from __future__ import annotations

import socket

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from shared.strategies.targets import check_resolved_addresses

USER_AGENT = "serverless-healthcheck/1"


class GuardedResolver(AbstractResolver):
    """Resolves with aiohttp's default resolver, then refuses forbidden addresses before any connect.

    aiohttp connects to exactly the addresses returned here, so a rebinding answer cannot slip in
    between the check and the connection.
    """

    def __init__(self, *, allow_private_targets: bool, resolver: AbstractResolver | None = None):
        self._allow_private_targets = allow_private_targets
        self._resolver = resolver or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        resolved = await self._resolver.resolve(host, port, family)
        check_resolved_addresses(
            host, [entry["host"] for entry in resolved], allow_private_targets=self._allow_private_targets
        )
        return resolved

    async def close(self) -> None:
        await self._resolver.close()


def open_guarded_session(*, allow_private_targets: bool, connection_limit: int) -> aiohttp.ClientSession:
    """One aiohttp session whose every connection passes the SSRF guard."""
    connector = aiohttp.TCPConnector(
        resolver=GuardedResolver(allow_private_targets=allow_private_targets),
        limit=connection_limit,
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=None),
        auto_decompress=True,
        trust_env=False,
        cookie_jar=aiohttp.DummyCookieJar(),
        headers={"User-Agent": USER_AGENT},
    )
