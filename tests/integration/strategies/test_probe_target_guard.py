import asyncio

import pytest
from aiohttp import web
from probe_servers import serving_app, serving_raw

import shared.strategies.targets as targets
from shared.strategies.runner import CheckSpec, run_checks


def forbidden_checks(port: int) -> list[CheckSpec]:
    return [
        CheckSpec("http", "http", {"url": f"http://localhost:{port}/"}, 5),
        CheckSpec("tcp", "tcp", {"host": "localhost", "port": port}, 5),
        CheckSpec("tls", "tls", {"host": "localhost", "port": port}, 5),
        CheckSpec("literal", "http", {"url": f"http://127.0.0.1:{port}/"}, 5),
        CheckSpec("dns", "dns", {"name": "example.test", "resolver": "127.0.0.1", "resolverPort": port}, 5),
    ]


def test_names_resolving_to_loopback_are_refused_at_probe_time():
    accepted = []

    async def record(_reader, writer):
        accepted.append(True)
        writer.close()

    async def scenario():
        async with serving_raw(record) as port:
            return await run_checks(forbidden_checks(port), allow_private_targets=False, budget_seconds=10)

    # given a live local server; when probed by names and literals that lead to loopback
    outcomes = asyncio.run(scenario())

    # then every probe is refused and none connected
    assert [o.error["code"] for o in outcomes] == ["TARGET_FORBIDDEN"] * 5
    assert all(o.status == "unhealthy" for o in outcomes)
    assert accepted == []


@pytest.fixture
def loopback_counts_as_public(monkeypatch):
    """Let 127.0.0.1 through the guard so a local server can play a public site; the rest keeps the rules."""
    real = targets.is_forbidden_address

    def forbidden(address: str) -> bool:
        return address != "127.0.0.1" and real(address)

    monkeypatch.setattr(targets, "is_forbidden_address", forbidden)


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://10.0.0.1/",
        "http://[fe80::1]/",
        "http://192.168.1.1:8080/",
    ],
)
def test_a_redirect_to_a_forbidden_address_is_refused(loopback_counts_as_public, location):
    async def redirect(_request):
        raise web.HTTPFound(location)

    async def scenario():
        app = web.Application()
        app.router.add_get("/", redirect)
        async with serving_app(app) as port:
            return await run_checks(
                [CheckSpec("redirect", "http", {"url": f"http://127.0.0.1:{port}/"}, 5)],
                allow_private_targets=False,
                budget_seconds=10,
            )

    # given a public-looking site redirecting inwards; when probed
    [outcome] = asyncio.run(scenario())

    # then
    assert outcome.status == "unhealthy"
    assert outcome.error["code"] == "TARGET_FORBIDDEN"
