"""Probe throughput of `run_checks` against a raw aiohttp loop, same server, same run.

The server is a canned-response HTTP/1.1 responder in a child process (127.0.0.1 only), so the
client is the bottleneck and the ratio shows the runner's own overhead.
Run: `PYTHONPATH=src python -m bench.probe_throughput` from the repository root.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import statistics
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection

from bench.sizes import scaled

CHECKS = scaled(2000, 20)
CONCURRENCY = scaled(100, 10)
ROUNDS = scaled(7, 1)
GOAL_RATIO = 0.7
PAYLOAD = b'{"status": "ok", "data": {"ok": true, "version": "1.0.0"}}'


RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(PAYLOAD)).encode()
    + b"\r\nConnection: keep-alive\r\n\r\n"
    + PAYLOAD
)


class _CannedHttp(asyncio.Protocol):
    """Answers each bodiless request with one canned response: cheap, so the client is the bottleneck."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        self._pending = b""

    def data_received(self, data: bytes) -> None:
        self._pending += data
        requests = self._pending.count(b"\r\n\r\n")
        if requests:
            self._pending = self._pending[self._pending.rindex(b"\r\n\r\n") + 4 :]
            self._transport.write(RESPONSE * requests)  # type: ignore[attr-defined]


def _serve(port_sender: Connection, stop: multiprocessing.synchronize.Event) -> None:
    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(_CannedHttp, "127.0.0.1", 0, backlog=1024)
        port_sender.send(server.sockets[0].getsockname()[1])
        while not stop.is_set():
            await asyncio.sleep(0.1)
        server.close()

    asyncio.run(main())


def _raw_aiohttp(*, check_json: bool) -> Callable[[str, int], Awaitable[None]]:
    """The hand-written baseline: one session, a semaphore, and (optionally) the same checks by hand."""
    import aiohttp

    async def run(url: str, count: int) -> None:
        slots = asyncio.Semaphore(CONCURRENCY)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY)) as session:

            async def one() -> None:
                async with slots, session.get(url) as response:
                    body = await response.read()
                    assert response.status == 200
                    if check_json:
                        assert json.loads(body)["data"]["ok"] is True

            await asyncio.gather(*(one() for _ in range(count)))

    return run


def _run_checks(assertions: list[dict]) -> Callable[[str, int], Awaitable[None]]:
    from shared.strategies.runner import CheckSpec, run_checks

    async def run(url: str, count: int) -> None:
        specs = [CheckSpec(str(i), "http", {"url": url}, 10, assertions) for i in range(count)]
        outcomes = await run_checks(
            specs, allow_private_targets=True, budget_seconds=120, max_concurrency=CONCURRENCY
        )
        unhealthy = [outcome for outcome in outcomes if outcome.status != "healthy"]
        assert not unhealthy, unhealthy[0].to_dict()

    return run


def _checks_per_second(client: Callable[[str, int], Awaitable[None]], url: str) -> float:
    async def timed() -> float:
        await client(url, CONCURRENCY)  # warm imports, pools and caches
        started = time.perf_counter()
        await client(url, CHECKS)
        return CHECKS / (time.perf_counter() - started)

    return asyncio.run(timed())


def _row(metric: str, pairs: list[tuple[float, float]], note: str) -> dict:
    ratio = statistics.median(measured / baseline for measured, baseline in pairs)
    return {
        "metric": metric,
        "measured": round(statistics.median(measured for measured, _ in pairs), 1),
        "baseline": round(statistics.median(baseline for _, baseline in pairs), 1),
        "ratio": round(ratio, 3),
        "goal": f">= {GOAL_RATIO}x",
        "met": ratio >= GOAL_RATIO,
        "note": note,
    }


def rows() -> list[dict]:
    context = multiprocessing.get_context("spawn")
    port_receiver, port_sender = context.Pipe(duplex=False)
    stop = context.Event()
    server = context.Process(target=_serve, args=(port_sender, stop), daemon=True)
    server.start()
    try:
        if not port_receiver.poll(30):
            raise RuntimeError("bench server did not start")
        url = f"http://127.0.0.1:{port_receiver.recv()}/health"
        body_assertions = [
            {"source": "result.statusCode", "operator": "eq", "value": 200},
            {"source": "result.body.$.data.ok", "operator": "eq", "value": True},
        ]
        pairs = {
            "plain": (_run_checks([]), _raw_aiohttp(check_json=False)),
            "assertions": (_run_checks(body_assertions), _raw_aiohttp(check_json=True)),
        }
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in pairs}
        for round_number in range(ROUNDS):
            for name, (client, baseline) in pairs.items():
                # Each measurement has its baseline run right beside it, alternating which goes first,
                # so drift on a shared machine hits both alike.
                order = [(client, "measured"), (baseline, "baseline")]
                if round_number % 2:
                    order.reverse()
                rates = {label: _checks_per_second(runner, url) for runner, label in order}
                samples[name].append((rates["measured"], rates["baseline"]))
    finally:
        stop.set()
        server.join(10)
        if server.is_alive():
            server.terminate()
            server.join(5)
    setup = (
        f"{CHECKS} HTTP checks at concurrency {CONCURRENCY}, canned-response server,"
        f" median of {ROUNDS} paired rounds"
    )
    return [
        _row(
            "run_checks http throughput (checks/s)",
            samples["plain"],
            f"{setup}; baseline: raw aiohttp loop (one session, semaphore {CONCURRENCY})",
        ),
        _row(
            "run_checks http throughput, status + JSONPath body assertions (checks/s)",
            samples["assertions"],
            f"{setup}; baseline: the same raw loop checking status and a parsed JSON field by hand",
        ),
    ]


if __name__ == "__main__":
    for row in rows():
        print(row)
