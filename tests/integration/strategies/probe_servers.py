"""Local servers (127.0.0.1 only) for probe tests: aiohttp apps, raw TCP handlers, a DNS zone."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import struct
from collections.abc import AsyncIterator, Awaitable, Callable

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
from aiohttp import web

LOOPBACK = "127.0.0.1"
RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def serving_app(
    app: web.Application, *, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[int]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, LOOPBACK, 0, ssl_context=ssl_context)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def serving_raw(
    handler: RawHandler, *, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[int]:
    server = await asyncio.start_server(handler, LOOPBACK, 0, ssl=ssl_context)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        # Handlers may still hold connections; closing the server must not wait on them forever.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2):
                await server.wait_closed()


def closed_port() -> int:
    """A port nothing listens on (bound then released)."""
    with socket.socket() as probe_socket:
        probe_socket.bind((LOOPBACK, 0))
        return probe_socket.getsockname()[1]


async def read_request_head(reader: asyncio.StreamReader) -> bytes:
    with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
        return await reader.readuntil(b"\r\n\r\n")
    return b""


def reset_connection(writer: asyncio.StreamWriter) -> None:
    """Close with SO_LINGER 0 so the peer sees a TCP reset, not an orderly close."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class DnsZone(asyncio.DatagramProtocol):
    """Answers from a dict of (name, type) -> rdata texts; NXDOMAIN for names it does not know."""

    def __init__(self, records: dict[tuple[str, str], list[str]]):
        self._records = {(name.rstrip(".").lower(), rtype): texts for (name, rtype), texts in records.items()}
        self._names = {name for name, _ in self._records}
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        query = dns.message.from_wire(data)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        rtype = dns.rdatatype.to_text(question.rdtype)
        if name not in self._names:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif (name, rtype) in self._records:
            response.answer.append(
                dns.rrset.from_text_list(question.name, 60, "IN", rtype, self._records[(name, rtype)])
            )
        assert self.transport is not None
        self.transport.sendto(response.to_wire(), addr)


@contextlib.asynccontextmanager
async def serving_dns(records: dict[tuple[str, str], list[str]]) -> AsyncIterator[int]:
    transport, _protocol = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: DnsZone(records), local_addr=(LOOPBACK, 0)
    )
    try:
        yield transport.get_extra_info("sockname")[1]
    finally:
        transport.close()
