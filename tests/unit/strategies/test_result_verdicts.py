import asyncio
from datetime import UTC, datetime

from shared.strategies.runner import CheckSpec, ProbeOutcome, run_checks
from shared.strategies.verdicts import evaluate_raw_result

HTTP_CONFIG = {"url": "https://example.com", "expectedStatusCodes": ["200-299"]}
HTTP_RESULT = {"statusCode": 200, "latencyMs": 42.0, "headers": {}, "contentType": None, "bodyBytes": 2}


def test_a_satellite_result_is_judged_like_a_local_one():
    # when
    verdict = evaluate_raw_result(
        "http", HTTP_CONFIG, HTTP_RESULT, [{"source": "latencyMs", "operator": "lt", "value": 100}]
    )

    # then
    assert verdict.status == "healthy"
    assert verdict.latency_ms == 42.0
    assert verdict.assertions[0]["passed"] is True


def test_an_unexpected_status_in_a_satellite_result_is_unhealthy():
    verdict = evaluate_raw_result("http", HTTP_CONFIG, {**HTTP_RESULT, "statusCode": 502}, [])

    assert verdict.status == "unhealthy"
    assert verdict.error["code"] == "UNEXPECTED_STATUS"


def test_a_failed_assertion_makes_a_successful_probe_unhealthy():
    verdict = evaluate_raw_result(
        "http",
        HTTP_CONFIG,
        HTTP_RESULT,
        [
            {"source": "result.bodyBytes", "operator": "gt", "value": 10},
            {"source": "status", "operator": "eq", "value": "healthy"},
        ],
    )

    assert verdict.status == "unhealthy"
    assert verdict.error["code"] == "ASSERTION_FAILED"
    assert [a["passed"] for a in verdict.assertions] == [False, True]


def test_a_reported_probe_error_wins():
    verdict = evaluate_raw_result(
        "tcp",
        {"host": "db.example.com", "port": 5432},
        {},
        [],
        reported_error={"code": "TIMEOUT", "message": "slow"},
    )

    assert verdict.status == "unhealthy"
    assert verdict.error == {"code": "TIMEOUT", "message": "slow"}


def test_dns_and_tls_verdicts():
    dns_config = {"name": "example.com", "recordType": "A", "expectedAnswers": ["93.184.216.34"]}
    tls_config = {"host": "example.com", "minDaysUntilExpiry": 14}
    tls_result = {"chainValid": True, "daysUntilExpiry": 30, "handshakeMs": 12.0}

    assert (
        evaluate_raw_result(
            "dns", dns_config, {"rcode": "NOERROR", "answers": ["93.184.216.34"], "resolveMs": 3.0}, []
        ).status
        == "healthy"
    )
    assert (
        evaluate_raw_result(
            "dns", dns_config, {"rcode": "NOERROR", "answers": [], "resolveMs": 3.0}, []
        ).error["code"]
        == "DNS_ANSWER_MISMATCH"
    )
    assert (
        evaluate_raw_result("dns", dns_config, {"rcode": "SERVFAIL", "answers": []}, []).error["code"]
        == "DNS_RCODE"
    )
    assert evaluate_raw_result("tls", tls_config, tls_result, []).status == "healthy"
    assert (
        evaluate_raw_result("tls", tls_config, {**tls_result, "daysUntilExpiry": 3}, []).error["code"]
        == "TLS_EXPIRING"
    )
    assert (
        evaluate_raw_result("tls", tls_config, {**tls_result, "chainValid": False}, []).error["code"]
        == "TLS_INVALID"
    )


def test_an_invalid_config_is_an_unhealthy_outcome_not_an_exception():
    # given specs no probe can run
    specs = [
        CheckSpec("bad-config", "http", {"url": "gopher://x"}, 5),
        CheckSpec("bad-strategy", "ping", {}, 5),
    ]
    fixed = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)

    # when
    outcomes = asyncio.run(
        run_checks(specs, allow_private_targets=False, budget_seconds=5, clock=lambda: fixed)
    )

    # then
    assert [(o.key, o.status, o.error["code"]) for o in outcomes] == [
        ("bad-config", "unhealthy", "CONFIG_INVALID"),
        ("bad-strategy", "unhealthy", "CONFIG_INVALID"),
    ]
    assert outcomes[0].to_dict()["startedAt"] == "2030-01-02T03:04:05.000Z"


def test_no_specs_is_no_outcomes():
    assert asyncio.run(run_checks([], allow_private_targets=False, budget_seconds=1)) == []


def test_outcome_wire_form():
    outcome = ProbeOutcome(
        key="k",
        status="healthy",
        latency_ms=1.5,
        result={"connected": True},
        assertions=[],
        error=None,
        started_at=datetime(2030, 1, 1, tzinfo=UTC),
    )

    assert outcome.to_dict() == {
        "key": "k",
        "status": "healthy",
        "latencyMs": 1.5,
        "result": {"connected": True},
        "assertions": [],
        "error": None,
        "startedAt": "2030-01-01T00:00:00.000Z",
    }


def test_an_invalid_config_outcome_names_the_field():
    [outcome] = asyncio.run(
        run_checks(
            [CheckSpec("k", "tcp", {"host": "db.example.com", "port": 0}, 5)],
            allow_private_targets=False,
            budget_seconds=5,
        )
    )

    assert outcome.error["code"] == "CONFIG_INVALID"
    assert outcome.error["message"].startswith("body.config.port: ")
