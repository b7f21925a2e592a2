import asyncio
import gzip

from aiohttp import web
from probe_servers import closed_port, read_request_head, reset_connection, serving_app, serving_raw
from tls_material import client_context_trusting, issue_leaf

from shared.strategies.http_check import BODY_READ_CAP_BYTES, HttpResult
from shared.strategies.runner import CheckSpec, ProbeOutcome, run_checks, run_checks_sync

FIFTY_MEGABYTES = 50 * 1024 * 1024


def http_check(url: str, *, timeout: float = 5, assertions: list | None = None, **config) -> CheckSpec:
    return CheckSpec(
        key="check",
        strategy_id="http",
        config={"url": url, **config},
        timeout_seconds=timeout,
        assertions=assertions or [],
    )


async def probe(spec: CheckSpec, **options) -> ProbeOutcome:
    options.setdefault("allow_private_targets", True)
    options.setdefault("budget_seconds", 10)
    [outcome] = await run_checks([spec], **options)
    return outcome


def api_app() -> web.Application:
    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"data": {"ok": True, "version": "1.4.2", "items": [1, 2, 3]}})

    async def status(request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]), text="status")

    async def echo(request: web.Request) -> web.Response:
        return web.Response(
            text=f"{request.method} {await request.text()}", headers={"X-Secret": "not stored"}
        )

    async def plain(_request: web.Request) -> web.Response:
        return web.Response(text="<html>not json</html>", content_type="text/html")

    async def loop(_request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    async def hop(request: web.Request) -> web.Response:
        remaining = int(request.match_info["remaining"])
        if remaining == 0:
            return web.Response(text="arrived")
        raise web.HTTPFound(f"/hop/{remaining - 1}")

    async def post_redirect(_request: web.Request) -> web.Response:
        raise web.HTTPSeeOther("/echo")

    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_get("/status/{code}", status)
    app.router.add_route("*", "/echo", echo)
    app.router.add_get("/plain", plain)
    app.router.add_get("/loop", loop)
    app.router.add_get("/hop/{remaining}", hop)
    app.router.add_post("/post-redirect", post_redirect)
    return app


def test_json_body_assertions_pass_and_the_body_is_not_stored():
    async def scenario():
        # given
        async with serving_app(api_app()) as port:
            spec = http_check(
                f"http://127.0.0.1:{port}/health",
                assertions=[
                    {"source": "result.body.$.data.ok", "operator": "eq", "value": True},
                    {"source": "result.body.$.data.items[*]", "operator": "contains", "value": 2},
                    {"source": "result.statusCode", "operator": "eq", "value": 200},
                    {
                        "source": "result.headers.content-type",
                        "operator": "startsWith",
                        "value": "application/json",
                    },
                    {"source": "latencyMs", "operator": "lt", "value": 60_000},
                ],
            )
            # when
            return await probe(spec)

    outcome = asyncio.run(scenario())

    # then
    assert outcome.status == "healthy", outcome.error
    assert [a["passed"] for a in outcome.assertions] == [True] * 5
    assert outcome.result["statusCode"] == 200
    assert outcome.latency_ms == round(outcome.result["latencyMs"])  # API.md: durations are integers
    assert "body" not in outcome.result
    HttpResult.model_validate(outcome.result)


def test_every_assertion_is_evaluated_after_one_fails():
    async def scenario():
        # given
        async with serving_app(api_app()) as port:
            spec = http_check(
                f"http://127.0.0.1:{port}/health",
                assertions=[
                    {"source": "result.body.$.data.version", "operator": "eq", "value": "2.0.0"},
                    {"source": "result.body.$.data.ok", "operator": "eq", "value": True},
                ],
            )
            # when
            return await probe(spec)

    outcome = asyncio.run(scenario())

    # then
    assert outcome.status == "unhealthy"
    assert outcome.error["code"] == "ASSERTION_FAILED"
    assert [(a["actual"], a["passed"]) for a in outcome.assertions] == [("1.4.2", False), (True, True)]


def test_non_json_body_fails_a_jsonpath_assertion_with_no_actual():
    async def scenario():
        async with serving_app(api_app()) as port:
            spec = http_check(
                f"http://127.0.0.1:{port}/plain",
                assertions=[
                    {"source": "result.body.$.data", "operator": "exists"},
                    {"source": "result.body", "operator": "contains", "value": "not json"},
                ],
            )
            return await probe(spec)

    # given a text/html endpoint; when probed
    outcome = asyncio.run(scenario())

    # then
    assert [(a["actual"], a["passed"]) for a in outcome.assertions] == [
        (None, False),
        ("<html>not json</html>", True),
    ]


def test_status_outside_the_expected_codes_is_unhealthy_and_inside_is_healthy():
    async def scenario():
        async with serving_app(api_app()) as port:
            base = f"http://127.0.0.1:{port}"
            return await run_checks(
                [
                    http_check(f"{base}/status/500"),
                    http_check(f"{base}/status/418", expectedStatusCodes=[418]),
                    http_check(f"{base}/status/503", expectedStatusCodes=["5xx"]),
                    http_check(f"{base}/status/204", expectedStatusCodes=["200-202"]),
                ],
                allow_private_targets=True,
                budget_seconds=10,
            )

    # given endpoints answering fixed codes; when probed
    outcomes = asyncio.run(scenario())

    # then
    assert [o.status for o in outcomes] == ["unhealthy", "healthy", "healthy", "unhealthy"]
    assert outcomes[0].error["code"] == "UNEXPECTED_STATUS"
    assert outcomes[0].result["statusCode"] == 500
    assert outcomes[0].latency_ms == round(outcomes[0].result["latencyMs"])


def test_post_sends_the_configured_body_and_headers_and_only_allowlisted_headers_are_kept():
    async def scenario():
        async with serving_app(api_app()) as port:
            spec = http_check(
                f"http://127.0.0.1:{port}/echo",
                method="POST",
                body="ping",
                headers={"Content-Type": "text/plain"},
                assertions=[{"source": "result.body", "operator": "eq", "value": "POST ping"}],
            )
            return await probe(spec)

    outcome = asyncio.run(scenario())

    assert outcome.status == "healthy", outcome.assertions
    assert "x-secret" not in {name.lower() for name in outcome.result["headers"]}


def test_redirects_are_followed_and_counted_and_303_turns_post_into_get():
    async def scenario():
        async with serving_app(api_app()) as port:
            base = f"http://127.0.0.1:{port}"
            return await run_checks(
                [
                    http_check(
                        f"{base}/hop/3",
                        assertions=[{"source": "result.body", "operator": "eq", "value": "arrived"}],
                    ),
                    http_check(
                        f"{base}/post-redirect",
                        method="POST",
                        body="x",
                        assertions=[{"source": "result.body", "operator": "eq", "value": "GET "}],
                    ),
                    http_check(f"{base}/hop/1", followRedirects=False, expectedStatusCodes=[302]),
                ],
                allow_private_targets=True,
                budget_seconds=10,
            )

    outcomes = asyncio.run(scenario())

    assert [o.status for o in outcomes] == ["healthy", "healthy", "healthy"], [o.assertions for o in outcomes]
    assert outcomes[0].result["redirects"] == 3
    assert outcomes[2].result["headers"]["location"] == "/hop/0"


def test_redirect_loop_is_too_many_redirects():
    async def scenario():
        async with serving_app(api_app()) as port:
            return await probe(http_check(f"http://127.0.0.1:{port}/loop"))

    outcome = asyncio.run(scenario())

    assert outcome.status == "unhealthy"
    assert outcome.error["code"] == "TOO_MANY_REDIRECTS"


def test_a_fifty_megabyte_body_is_read_only_up_to_the_cap():
    sent = {"bytes": 0}

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        response.content_length = FIFTY_MEGABYTES
        await response.prepare(request)
        chunk = b"x" * (256 * 1024)
        while sent["bytes"] < FIFTY_MEGABYTES:
            await response.write(chunk)
            sent["bytes"] += len(chunk)
        return response

    async def scenario():
        app = web.Application()
        app.router.add_get("/huge", huge)
        async with serving_app(app) as port:
            return await probe(http_check(f"http://127.0.0.1:{port}/huge"))

    # given a server that would stream 50 MB; when probed
    outcome = asyncio.run(scenario())

    # then
    assert outcome.status == "healthy"
    assert outcome.result["bodyBytes"] == BODY_READ_CAP_BYTES
    assert outcome.result["bodyTruncated"] is True
    assert sent["bytes"] < FIFTY_MEGABYTES


def test_a_hanging_server_times_out_and_the_probe_connection_is_closed():
    client_gone = asyncio.Event()

    async def hang(reader, writer):
        await read_request_head(reader)
        await reader.read()  # returns only when the probe closes its side
        client_gone.set()
        writer.close()

    async def scenario():
        async with serving_raw(hang) as port:
            outcome = await probe(http_check(f"http://127.0.0.1:{port}/", timeout=0.3))
            async with asyncio.timeout(5):
                await client_gone.wait()
            return outcome

    # given a server that never answers; when probed with a short timeout
    outcome = asyncio.run(scenario())

    # then the outcome is a timeout, and the server saw the connection closed (the probe was cancelled)
    assert outcome.status == "unhealthy"
    assert outcome.error["code"] == "TIMEOUT"
    assert client_gone.is_set()


def test_probes_still_running_at_the_budget_are_cancelled_and_reported_as_timeout():
    async def hang(reader, writer):
        await read_request_head(reader)
        await reader.read()
        writer.close()

    async def scenario():
        async with serving_app(api_app()) as fast_port, serving_raw(hang) as slow_port:
            return await run_checks(
                [
                    http_check(f"http://127.0.0.1:{fast_port}/health"),
                    http_check(f"http://127.0.0.1:{slow_port}/", timeout=30),
                ],
                allow_private_targets=True,
                budget_seconds=0.5,
            )

    outcomes = asyncio.run(scenario())

    assert [o.status for o in outcomes] == ["healthy", "unhealthy"]
    assert outcomes[1].error["code"] == "TIMEOUT"
    assert "budget" in outcomes[1].error["message"]


def test_garbage_bytes_are_a_bad_response():
    async def garbage(reader, writer):
        await read_request_head(reader)
        writer.write(b"\x00\xff\x13 this is not http at all\r\n\r\n")
        await writer.drain()
        writer.close()

    async def scenario():
        async with serving_raw(garbage) as port:
            return await probe(http_check(f"http://127.0.0.1:{port}/"))

    outcome = asyncio.run(scenario())

    assert outcome.status == "unhealthy"
    assert outcome.error["code"] == "BAD_RESPONSE"


def test_a_reset_connection_is_connection_reset():
    async def reset(reader, writer):
        await read_request_head(reader)
        reset_connection(writer)

    async def scenario():
        async with serving_raw(reset) as port:
            return await probe(http_check(f"http://127.0.0.1:{port}/"))

    outcome = asyncio.run(scenario())

    assert outcome.error["code"] == "CONNECTION_RESET"


def test_a_closed_port_is_connection_refused():
    outcome = asyncio.run(probe(http_check(f"http://127.0.0.1:{closed_port()}/")))

    assert outcome.status == "unhealthy"
    assert outcome.error["code"] == "CONNECTION_REFUSED"
    assert outcome.result == {}


def test_https_verification_uses_the_injected_context_and_verify_tls_false_skips_it(test_ca, tmp_path):
    trusted = issue_leaf(test_ca).server_context(tmp_path, "trusted")
    self_signed = issue_leaf(None).server_context(tmp_path, "self-signed")

    async def scenario():
        async with (
            serving_app(api_app(), ssl_context=trusted) as trusted_port,
            serving_app(api_app(), ssl_context=self_signed) as untrusted_port,
        ):
            return await run_checks(
                [
                    http_check(f"https://localhost:{trusted_port}/health"),
                    http_check(f"https://localhost:{untrusted_port}/health"),
                    http_check(f"https://localhost:{untrusted_port}/health", verifyTls=False),
                ],
                allow_private_targets=True,
                budget_seconds=10,
                ssl_context_factory=lambda: client_context_trusting(test_ca),
            )

    outcomes = asyncio.run(scenario())

    assert [o.status for o in outcomes] == ["healthy", "unhealthy", "healthy"]
    assert outcomes[1].error["code"] == "TLS_INVALID"


def test_a_small_gzip_body_that_inflates_past_the_cap_is_read_bounded():
    bomb = gzip.compress(b"0" * (20 * 1024 * 1024))

    async def inflating(_request: web.Request) -> web.Response:
        return web.Response(body=bomb, headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"})

    async def scenario():
        app = web.Application()
        app.router.add_get("/bomb", inflating)
        async with serving_app(app) as port:
            return await probe(http_check(f"http://127.0.0.1:{port}/bomb"))

    # given a body of a few kilobytes on the wire and 20 MB decompressed; when probed
    outcome = asyncio.run(scenario())

    # then
    assert outcome.result["bodyBytes"] == BODY_READ_CAP_BYTES
    assert outcome.result["bodyTruncated"] is True


def test_more_checks_than_workers_all_run_and_keep_their_order():
    async def scenario():
        async with serving_app(api_app()) as port:
            base = f"http://127.0.0.1:{port}"
            specs = [
                CheckSpec(
                    f"check-{code}",
                    "http",
                    {"url": f"{base}/status/{code}", "expectedStatusCodes": [code]},
                    5,
                )
                for code in (200, 201, 202, 203, 204, 418, 500)
            ]
            return await run_checks(specs, allow_private_targets=True, budget_seconds=10, max_concurrency=2)

    outcomes = asyncio.run(scenario())

    assert [o.key for o in outcomes] == [
        "check-200",
        "check-201",
        "check-202",
        "check-203",
        "check-204",
        "check-418",
        "check-500",
    ]
    assert [o.result["statusCode"] for o in outcomes] == [200, 201, 202, 203, 204, 418, 500]
    assert all(o.status == "healthy" for o in outcomes)


def test_checks_that_never_start_within_the_budget_are_timeouts():
    async def hang(reader, writer):
        await read_request_head(reader)
        await reader.read()
        writer.close()

    async def scenario():
        async with serving_raw(hang) as port:
            specs = [http_check(f"http://127.0.0.1:{port}/", timeout=30) for _ in range(3)]
            return await run_checks(specs, allow_private_targets=True, budget_seconds=0.3, max_concurrency=1)

    # given one worker stuck on a hanging server; when the budget runs out
    outcomes = asyncio.run(scenario())

    # then the stuck check and the two that never started are all timeouts
    assert [o.error["code"] for o in outcomes] == ["TIMEOUT"] * 3


def test_the_sync_wrapper_runs_checks_outside_an_event_loop():
    outcomes = run_checks_sync(
        [http_check(f"http://127.0.0.1:{closed_port()}/")], allow_private_targets=True, budget_seconds=5
    )

    assert outcomes[0].error["code"] == "CONNECTION_REFUSED"


def test_credentials_are_not_forwarded_to_another_origin_on_redirect():
    seen = {}

    async def record(request: web.Request) -> web.Response:
        seen[request.host] = request.headers.get("Authorization")
        return web.Response(text="ok")

    async def scenario():
        target_app = web.Application()
        target_app.router.add_get("/", record)
        async with serving_app(target_app) as target_port:

            async def bounce(request: web.Request) -> web.Response:
                seen[request.host] = request.headers.get("Authorization")
                raise web.HTTPFound(f"http://localhost:{target_port}/")

            origin_app = web.Application()
            origin_app.router.add_get("/", bounce)
            async with serving_app(origin_app) as origin_port:
                spec = http_check(
                    f"http://127.0.0.1:{origin_port}/", headers={"Authorization": "Bearer secret"}
                )
                return await probe(spec), origin_port, target_port

    # given an origin that redirects to another host; when probed with an Authorization header
    outcome, origin_port, target_port = asyncio.run(scenario())

    # then only the configured origin saw the credential
    assert outcome.status == "healthy"
    assert seen == {f"127.0.0.1:{origin_port}": "Bearer secret", f"localhost:{target_port}": None}
