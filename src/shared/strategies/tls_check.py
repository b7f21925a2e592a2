"""TLS certificate check: config, result and verdict. The probe lives in `tls_probe` (imported lazily).

`minDaysUntilExpiry` defaults to 14: two weeks leaves time to renew after the first alert.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from shared.strategies.schema import Hostname, Port, StrategyConfig, StrategyResult, chart, latency_field
from shared.strategies.strategy import ProbeError, Strategy

DEFAULT_MIN_DAYS_UNTIL_EXPIRY = 14


class TlsConfig(StrategyConfig):
    host: Hostname
    port: Port = 443
    sni: Hostname | None = Field(None, description="Server name to send; the host when absent")
    min_days_until_expiry: int = Field(DEFAULT_MIN_DAYS_UNTIL_EXPIRY, ge=0, le=3650)

    def target_hosts(self) -> dict[str, str]:
        return {"host": self.host}


class TlsResult(StrategyResult):
    days_until_expiry: int = Field(
        description="Whole days until notAfter; negative once expired",
        json_schema_extra=chart(
            "gauge", "Days Until Expiry", unit="days", anomaly_direction="higher-is-better"
        ),
    )
    not_after: str = Field(description="Certificate expiry, ISO 8601 UTC")
    issuer: str
    subject: str
    chain_valid: bool = Field(
        description="Chain and host name verified against the trust store",
        json_schema_extra=chart("boolean", "Valid", anomaly_direction="dominance"),
    )
    verify_error: str | None = Field(None, description="Why verification failed")
    protocol: str | None = Field(None, json_schema_extra=chart("text", "Protocol"))
    handshake_ms: float = latency_field("Handshake Time", description="TCP connect and TLS handshake")


def judge_tls(config: TlsConfig, result: dict[str, Any]) -> ProbeError | None:
    if result.get("chainValid") is not True:
        reason = result.get("verifyError") or "certificate not trusted"
        return {"code": "TLS_INVALID", "message": f"{config.host}: {reason}"}
    days = result.get("daysUntilExpiry")
    if not isinstance(days, int) or days < config.min_days_until_expiry:
        return {
            "code": "TLS_EXPIRING",
            "message": f"{config.host}: certificate expires in {days} days"
            f" (minimum {config.min_days_until_expiry})",
        }
    return None


TLS_STRATEGY = Strategy(
    id="tls",
    display_name="TLS certificate",
    description="Completes a TLS handshake and checks the certificate chain and how long until it expires.",
    config_model=TlsConfig,
    result_model=TlsResult,
    judge=judge_tls,
    latency_field="handshakeMs",
    probe_reference="shared.strategies.tls_probe:probe_tls",
)
