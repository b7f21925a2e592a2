"""TCP probe: connect to a guarded address, optionally read a bounded banner."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from typing import TYPE_CHECKING

from shared.strategies.probing import ProbeResult
from shared.strategies.targets import resolve_target
from shared.strategies.tcp_check import BANNER_READ_CAP_BYTES, TcpConfig

if TYPE_CHECKING:
    from shared.strategies.probing import ProbeContext

MAX_BANNER_WAIT_SECONDS = 2.0


async def open_first_connection(
    addresses: list[tuple[socket.AddressFamily, str]], port: int, **tls: object
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect to the first address that accepts; raise the last error if none does."""
    last_error: BaseException | None = None
    for _family, address in addresses:
        try:
            return await asyncio.open_connection(address, port, **tls)
        except OSError as error:
            last_error = error
    assert last_error is not None
    raise last_error


async def close_quietly(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()


async def probe_tcp(config: TcpConfig, context: ProbeContext, *, timeout_seconds: float) -> ProbeResult:
    addresses = await resolve_target(
        config.host, config.port, allow_private_targets=context.allow_private_targets
    )
    started = time.perf_counter()
    reader, writer = await open_first_connection(addresses, config.port)
    connect_ms = (time.perf_counter() - started) * 1000
    banner = None
    try:
        if config.read_banner:
            banner = await _read_banner(
                reader, wait_seconds=min(MAX_BANNER_WAIT_SECONDS, timeout_seconds / 2)
            )
    finally:
        await close_quietly(writer)
    return ProbeResult(result={"connected": True, "connectMs": round(connect_ms, 3), "banner": banner})


async def _read_banner(reader: asyncio.StreamReader, *, wait_seconds: float) -> str | None:
    # A silent server is still a healthy port: no banner within the wait is recorded as none.
    try:
        async with asyncio.timeout(wait_seconds):
            data = await reader.read(BANNER_READ_CAP_BYTES)
    except (TimeoutError, OSError):
        return None
    text = data.decode("utf-8", errors="replace").strip()
    return text or None
