import subprocess
import sys
from pathlib import Path

import pytest

from shared.domain.errors import ValidationFailedError
from shared.strategies import describe, get_strategy, list_strategies, validate_config

SRC = Path(__file__).resolve().parents[3] / "src"


def test_the_four_probes_and_the_heartbeat_are_registered():
    assert [strategy.id for strategy in list_strategies()] == ["http", "tcp", "dns", "tls", "heartbeat"]


def test_an_unknown_strategy_is_a_validation_error_on_strategy_id():
    with pytest.raises(ValidationFailedError) as raised:
        get_strategy("ping")

    assert raised.value.details[0]["field"] == "body.strategyId"


def test_importing_the_registry_and_validating_loads_no_network_client():
    # given a fresh interpreter; when the registry is imported, described and used to validate
    code = (
        "import sys, shared.strategies as s\n"
        "[s.describe(x) for x in s.list_strategies()]\n"
        "s.validate_config('http', {'url': 'https://example.com'}, allow_private_targets=False)\n"
        "heavy = ('aiohttp', 'dns', 'ssl', 'cryptography', 'jsonpath_ng', 'asyncio')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={"PYTHONPATH": str(SRC)}
    ).stdout.strip()

    # then
    assert loaded == "[]"


@pytest.mark.parametrize(
    ("strategy_id", "latency"),
    [("http", "latencyMs"), ("tcp", "connectMs"), ("dns", "resolveMs"), ("tls", "handshakeMs")],
)
def test_result_schemas_annotate_latency_for_charts_and_anomaly_detection(strategy_id, latency):
    # when
    description = describe(get_strategy(strategy_id))

    # then
    field = description["resultSchema"]["properties"][latency]
    assert field["x-chart-type"] == "line"
    assert field["x-chart-unit"] == "ms"
    assert field["x-chart-label"]
    assert field["x-anomaly-enabled"] is True
    assert field["x-anomaly-direction"] == "lower-is-better"
    assert field["x-anomaly-sensitivity"] > 0
    assert field["x-anomaly-confirmation-window"] >= 1
    assert set(description) == {"id", "displayName", "description", "configSchema", "resultSchema"}
    assert description["configSchema"]["additionalProperties"] is False


def test_config_schemas_use_camel_case_names():
    properties = describe(get_strategy("http"))["configSchema"]["properties"]

    assert {"expectedStatusCodes", "followRedirects", "verifyTls"} <= set(properties)


def test_validate_config_fills_defaults_and_normalises():
    # when
    config = validate_config(
        "http",
        {"url": "https://example.com/health", "expectedStatusCodes": ["2xx", 304]},
        allow_private_targets=False,
    )

    # then
    assert config == {
        "method": "GET",
        "url": "https://example.com/health",
        "headers": {},
        "basicAuth": None,
        "body": None,
        "expectedStatusCodes": ["200-299", 304],
        "followRedirects": True,
        "verifyTls": True,
    }


def test_defaults_of_the_other_strategies():
    assert validate_config("tls", {"host": "example.com"}, allow_private_targets=False) == {
        "host": "example.com",
        "port": 443,
        "sni": None,
        "minDaysUntilExpiry": 14,
    }
    assert (
        validate_config(
            "dns", {"name": "example.com", "resolver": "2001:4860:4860::8888"}, allow_private_targets=False
        )["resolver"]
        == "2001:4860:4860::8888"
    )
    assert (
        validate_config("tcp", {"host": "db.example.com", "port": 5432}, allow_private_targets=False)[
            "readBanner"
        ]
        is False
    )


@pytest.mark.parametrize(
    ("strategy_id", "config", "field"),
    [
        ("http", {"url": "ftp://example.com"}, "body.config.url"),
        ("http", {"url": "https://example.com", "method": "TRACE"}, "body.config.method"),
        (
            "http",
            {"url": "https://example.com", "expectedStatusCodes": [700]},
            "body.config.expectedStatusCodes.0",
        ),
        (
            "http",
            {"url": "https://example.com", "expectedStatusCodes": ["300-200"]},
            "body.config.expectedStatusCodes.0",
        ),
        (
            "http",
            {"url": "https://example.com", "headers": {"X-A": "a\r\nInjected: 1"}},
            "body.config.headers",
        ),
        ("http", {"url": "https://example.com", "timeout": 3}, "body.config.timeout"),
        ("http", {}, "body.config.url"),
        ("tcp", {"host": "db.example.com", "port": 70000}, "body.config.port"),
        ("tcp", {"host": "http://db.example.com", "port": 1}, "body.config.host"),
        ("dns", {"name": "example.com", "recordType": "SOA"}, "body.config.recordType"),
        ("dns", {"name": "example.com", "resolver": "dns.google"}, "body.config.resolver"),
        ("tls", {"host": "example.com", "minDaysUntilExpiry": -1}, "body.config.minDaysUntilExpiry"),
    ],
)
def test_schema_errors_name_the_config_field(strategy_id, config, field):
    with pytest.raises(ValidationFailedError) as raised:
        validate_config(strategy_id, config, allow_private_targets=False)

    assert field in [detail["field"] for detail in raised.value.details]


@pytest.mark.parametrize(
    ("strategy_id", "config", "field"),
    [
        ("http", {"url": "http://169.254.169.254/latest/meta-data/"}, "body.config.url"),
        ("http", {"url": "http://localhost:8080/"}, "body.config.url"),
        ("http", {"url": "http://[::1]/"}, "body.config.url"),
        ("http", {"url": "http://[::ffff:192.168.0.1]/"}, "body.config.url"),
        ("http", {"url": "http://2130706433/"}, "body.config.url"),
        ("tcp", {"host": "10.1.2.3", "port": 22}, "body.config.host"),
        ("tls", {"host": "fe80::1"}, "body.config.host"),
        ("dns", {"name": "example.com", "resolver": "192.168.1.1"}, "body.config.resolver"),
    ],
)
def test_literal_private_targets_are_refused_unless_allowed(strategy_id, config, field):
    # when private targets are not allowed
    with pytest.raises(ValidationFailedError) as raised:
        validate_config(strategy_id, config, allow_private_targets=False)

    # then
    [detail] = raised.value.details
    assert detail["field"] == field
    assert "TARGET_FORBIDDEN" in detail["message"]
    # and when they are
    validate_config(strategy_id, config, allow_private_targets=True)
