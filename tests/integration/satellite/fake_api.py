"""A fake Satellite API (127.0.0.1 only) with dedup by resultId, and a local target to probe.

`mode` switches the API between up, down (503), throttled (429) and two crash shapes: store the
batch then never answer (`store_then_hang`), or store it then drop the connection (`store_then_drop`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

LOOPBACK = "127.0.0.1"
Mode = Literal["up", "down", "throttled", "store_then_hang", "store_then_drop"]


@contextlib.asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[int]:
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, LOOPBACK, 0)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


def target_app() -> web.Application:
    async def healthy(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/health", healthy)
    return app


def http_assignment(configuration_id: str, url: str, *, interval_seconds: float = 10) -> dict[str, Any]:
    return {
        "systemId": "billing",
        "configurationId": configuration_id,
        "strategyId": "http",
        "config": {"url": url},
        "assertions": [],
        "intervalSeconds": interval_seconds,
        "timeoutSeconds": 2,
    }


@dataclass
class FakeSatelliteApi:
    token: str
    assignments: list[dict[str, Any]] = field(default_factory=list)
    mode: Mode = "up"
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)
    posts_per_result: Counter[str] = field(default_factory=Counter)
    duplicates_reported: list[str] = field(default_factory=list)
    refused_result_posts: int = 0
    result_posts: int = 0
    assignment_fetches: int = 0
    not_modified_answers: int = 0
    heartbeats: list[dict[str, Any]] = field(default_factory=list)
    unauthorized_answers: int = 0
    _released: asyncio.Event = field(default_factory=asyncio.Event)

    def switch(self, mode: Mode) -> None:
        self.mode = mode
        if mode != "store_then_hang":
            # Hung requests end when the server recovers, as a real load balancer would time them out.
            self._released.set()
            self._released = asyncio.Event()

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._authenticate])
        app.router.add_get("/satellite/assignments", self._get_assignments)
        app.router.add_post("/satellite/results", self._post_results)
        app.router.add_post("/satellite/heartbeat", self._post_heartbeat)
        return app

    @property
    def etag(self) -> str:
        return (
            '"' + hashlib.sha256(json.dumps(self.assignments, sort_keys=True).encode()).hexdigest()[:16] + '"'
        )

    @web.middleware
    async def _authenticate(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            self.unauthorized_answers += 1
            return _error(401, "UNAUTHENTICATED", "unknown or revoked token")
        if self.mode in ("down", "throttled") and request.path == "/satellite/results":
            self.refused_result_posts += 1
        if self.mode == "down":
            return _error(503, "UNAVAILABLE", "a dependency is down")
        if self.mode == "throttled":
            return web.json_response(
                {"error": {"code": "THROTTLED", "message": "slow down"}},
                status=429,
                headers={"Retry-After": "0"},
            )
        return await handler(request)

    async def _get_assignments(self, request: web.Request) -> web.Response:
        self.assignment_fetches += 1
        if request.headers.get("If-None-Match") == self.etag:
            self.not_modified_answers += 1
            return web.Response(status=304, headers={"ETag": self.etag})
        return web.json_response({"items": self.assignments}, headers={"ETag": self.etag})

    async def _post_results(self, request: web.Request) -> web.StreamResponse:
        results = (await request.json())["results"]
        self.result_posts += 1
        if not 1 <= len(results) <= 500:
            return _error(413, "PAYLOAD_TOO_LARGE", "1 to 500 results per request")
        accepted, duplicates = [], []
        for result in results:
            result_id = result["resultId"]
            self.posts_per_result[result_id] += 1
            if result_id in self.stored:
                duplicates.append(result_id)
            else:
                self.stored[result_id] = result
                accepted.append(result_id)
        self.duplicates_reported.extend(duplicates)
        if self.mode == "store_then_hang":
            await self._released.wait()
            return _error(503, "UNAVAILABLE", "timed out")
        if self.mode == "store_then_drop":
            assert request.transport is not None
            request.transport.abort()
        return web.json_response({"accepted": accepted, "duplicates": duplicates, "rejected": []})

    async def _post_heartbeat(self, request: web.Request) -> web.Response:
        self.heartbeats.append(await request.json())
        return web.Response(status=204)


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)
