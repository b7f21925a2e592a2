import asyncio

from probe_servers import closed_port, serving_dns, serving_raw

from shared.strategies.dns_check import DnsResult
from shared.strategies.runner import CheckSpec, run_checks
from shared.strategies.tcp_check import TcpResult

ZONE = {
    ("app.example.test", "A"): ["192.0.2.10", "192.0.2.11"],
    ("app.example.test", "TXT"): ['"v=spf1 -all"'],
    ("app.example.test", "MX"): ["10 Mail.Example.Test."],
    ("www.example.test", "CNAME"): ["app.example.test."],
}


def run(specs: list[CheckSpec]):
    return run_checks(specs, allow_private_targets=True, budget_seconds=10)


def test_tcp_connects_and_reads_the_banner():
    async def greet(_reader, writer):
        writer.write(b"220 mail.example.test ESMTP ready\r\n")
        await writer.drain()
        writer.close()

    async def scenario():
        async with serving_raw(greet) as port:
            return await run(
                [
                    CheckSpec("banner", "tcp", {"host": "127.0.0.1", "port": port, "readBanner": True}, 5),
                    CheckSpec("plain", "tcp", {"host": "127.0.0.1", "port": port}, 5),
                ]
            )

    # given a server that greets; when probed with and without a banner read
    with_banner, without_banner = asyncio.run(scenario())

    # then
    assert with_banner.status == "healthy"
    assert with_banner.result["banner"] == "220 mail.example.test ESMTP ready"
    assert with_banner.latency_ms == round(with_banner.result["connectMs"])
    assert without_banner.result["banner"] is None
    TcpResult.model_validate(with_banner.result)


def test_tcp_to_a_silent_server_is_connected_without_banner():
    async def silent(reader, writer):
        await reader.read()
        writer.close()

    async def scenario():
        async with serving_raw(silent) as port:
            return await run(
                [CheckSpec("silent", "tcp", {"host": "127.0.0.1", "port": port, "readBanner": True}, 0.4)]
            )

    [outcome] = asyncio.run(scenario())

    assert outcome.status == "healthy"
    assert outcome.result == {"connected": True, "connectMs": outcome.result["connectMs"], "banner": None}


def test_tcp_to_a_closed_port_is_refused():
    [outcome] = asyncio.run(
        run([CheckSpec("closed", "tcp", {"host": "127.0.0.1", "port": closed_port()}, 5)])
    )

    assert outcome.status == "unhealthy"
    assert outcome.error["code"] == "CONNECTION_REFUSED"


def dns_check(name: str, record_type: str, port: int, **config) -> CheckSpec:
    return CheckSpec(
        key=f"{name}/{record_type}",
        strategy_id="dns",
        config={
            "name": name,
            "recordType": record_type,
            "resolver": "127.0.0.1",
            "resolverPort": port,
            **config,
        },
        timeout_seconds=5,
    )


def test_dns_answers_are_normalised_and_expected_answers_are_checked():
    async def scenario():
        async with serving_dns(ZONE) as port:
            return await run(
                [
                    dns_check("app.example.test", "A", port, expectedAnswers=["192.0.2.11"]),
                    dns_check("app.example.test", "A", port, expectedAnswers=["192.0.2.99"]),
                    dns_check("app.example.test", "TXT", port),
                    dns_check("app.example.test", "MX", port, expectedAnswers=["10 mail.example.test."]),
                    dns_check("www.example.test", "CNAME", port, expectedAnswers=["APP.example.test"]),
                ]
            )

    # given a zone served on 127.0.0.1; when each record type is asked
    a_present, a_missing, txt, mx, cname = asyncio.run(scenario())

    # then
    assert a_present.status == "healthy"
    assert sorted(a_present.result["answers"]) == ["192.0.2.10", "192.0.2.11"]
    assert a_present.result["rcode"] == "NOERROR"
    assert a_missing.status == "unhealthy"
    assert a_missing.error["code"] == "DNS_ANSWER_MISMATCH"
    assert txt.result["answers"] == ["v=spf1 -all"]
    assert mx.status == "healthy", mx.error
    assert mx.result["answers"] == ["10 mail.example.test"]
    assert cname.status == "healthy", cname.error
    DnsResult.model_validate(a_present.result)


def test_dns_nxdomain_is_recorded_and_unhealthy():
    async def scenario():
        async with serving_dns(ZONE) as port:
            return await run([dns_check("missing.example.test", "A", port)])

    [outcome] = asyncio.run(scenario())

    assert outcome.status == "unhealthy"
    assert outcome.result["rcode"] == "NXDOMAIN"
    assert outcome.result["answers"] == []
    assert outcome.error["code"] == "DNS_RCODE"


def test_dns_assertions_see_the_answers():
    async def scenario():
        async with serving_dns(ZONE) as port:
            spec = dns_check("app.example.test", "A", port)
            spec.assertions = [
                {"source": "result.answers", "operator": "contains", "value": "192.0.2.10"},
                {"source": "result.answers.0", "operator": "startsWith", "value": "192.0.2."},
            ]
            return await run([spec])

    [outcome] = asyncio.run(scenario())

    assert [a["passed"] for a in outcome.assertions] == [True, True]
