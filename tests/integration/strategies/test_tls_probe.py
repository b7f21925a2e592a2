import asyncio
from datetime import timedelta

import pytest
from probe_servers import serving_raw
from tls_material import NOW, client_context_trusting, issue_leaf

from shared.strategies.runner import CheckSpec, run_checks
from shared.strategies.tls_check import TlsResult


async def handshake_only(_reader, writer):
    writer.close()


def probe_tls_server(test_ca, server_context, **config):
    """Probe a TLS endpoint served with server_context, trusting only the test CA."""

    async def scenario():
        async with serving_raw(handshake_only, ssl_context=server_context) as port:
            [outcome] = await run_checks(
                [CheckSpec("tls", "tls", {"host": "127.0.0.1", "port": port, **config}, 5)],
                allow_private_targets=True,
                budget_seconds=10,
                ssl_context_factory=lambda: client_context_trusting(test_ca),
            )
            return outcome

    return asyncio.run(scenario())


def test_a_certificate_from_the_trusted_ca_is_valid_with_its_expiry(test_ca, tmp_path):
    # given
    leaf = issue_leaf(test_ca, valid_until=NOW + timedelta(days=90, hours=1))

    # when
    outcome = probe_tls_server(test_ca, leaf.server_context(tmp_path, "leaf"))

    # then
    assert outcome.status == "healthy", outcome.error
    assert outcome.result["chainValid"] is True
    assert outcome.result["daysUntilExpiry"] == 90
    assert outcome.result["subject"] == "CN=localhost"
    assert outcome.result["issuer"] == "CN=Probe Test CA"
    assert outcome.result["notAfter"].endswith("Z")
    assert outcome.result["protocol"].startswith("TLS")
    assert outcome.latency_ms == round(outcome.result["handshakeMs"])
    TlsResult.model_validate(outcome.result)


@pytest.mark.parametrize(
    "make_leaf",
    [
        pytest.param(
            lambda ca: issue_leaf(
                ca, valid_from=NOW - timedelta(days=60), valid_until=NOW - timedelta(days=3)
            ),
            id="expired",
        ),
        pytest.param(lambda ca: issue_leaf(None), id="self-signed"),
    ],
)
def test_an_untrusted_certificate_is_a_recorded_invalid_result(test_ca, tmp_path, make_leaf):
    # given
    leaf = make_leaf(test_ca)

    # when
    outcome = probe_tls_server(test_ca, leaf.server_context(tmp_path, "leaf"))

    # then the certificate is still read and reported
    assert outcome.status == "unhealthy"
    assert outcome.error["code"] == "TLS_INVALID"
    assert outcome.result["chainValid"] is False
    assert outcome.result["verifyError"]
    assert outcome.result["subject"] == "CN=localhost"


def test_an_expired_certificate_reports_negative_days(test_ca, tmp_path):
    leaf = issue_leaf(
        test_ca, valid_from=NOW - timedelta(days=60), valid_until=NOW - timedelta(days=3, hours=1)
    )

    outcome = probe_tls_server(test_ca, leaf.server_context(tmp_path, "leaf"))

    assert outcome.result["daysUntilExpiry"] == -4


def test_a_valid_certificate_expiring_sooner_than_the_minimum_is_unhealthy(test_ca, tmp_path):
    leaf = issue_leaf(test_ca, valid_until=NOW + timedelta(days=5, hours=1))

    outcome = probe_tls_server(test_ca, leaf.server_context(tmp_path, "leaf"), minDaysUntilExpiry=7)

    assert outcome.result["chainValid"] is True
    assert outcome.error["code"] == "TLS_EXPIRING"


def test_a_name_mismatch_against_sni_is_invalid(test_ca, tmp_path):
    leaf = issue_leaf(test_ca)

    outcome = probe_tls_server(test_ca, leaf.server_context(tmp_path, "leaf"), sni="other.example.test")

    assert outcome.result["chainValid"] is False
    assert outcome.error["code"] == "TLS_INVALID"
