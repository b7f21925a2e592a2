"""DNS check: config, result and verdict. The probe lives in `dns_probe` (imported lazily).

Answers are normalised text: addresses in canonical form, names lower-case without the trailing
dot, MX as `"<preference> <exchange>"`, TXT as the joined decoded strings. `expectedAnswers` are
compared after the same normalisation.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Literal

from pydantic import Field, IPvAnyAddress, field_serializer

from shared.strategies.schema import Hostname, Port, StrategyConfig, StrategyResult, chart, latency_field
from shared.strategies.strategy import ProbeError, Strategy

RecordType = Literal["A", "AAAA", "CNAME", "MX", "TXT", "NS"]


class DnsConfig(StrategyConfig):
    name: Hostname
    record_type: RecordType = "A"
    resolver: IPvAnyAddress | None = Field(
        None, description="Name server to ask; the system resolver when absent"
    )
    resolver_port: Port = 53
    expected_answers: list[str] | None = Field(
        None, max_length=50, description="Every one of these must be in the answer"
    )

    @field_serializer("resolver")
    def _resolver_text(self, resolver: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> str | None:
        return None if resolver is None else str(resolver)

    def target_hosts(self) -> dict[str, str]:
        return {} if self.resolver is None else {"resolver": str(self.resolver)}


class DnsResult(StrategyResult):
    rcode: str = Field(
        description="Response code, e.g. NOERROR or NXDOMAIN",
        json_schema_extra=chart("status", "Response Code", anomaly_direction="dominance"),
    )
    answers: list[str] = Field(default_factory=list, description="Normalised answers of the asked type")
    resolve_ms: float = latency_field("Resolution Time", description="Time for the name server to answer")
    resolver: str | None = Field(None, description="Name server that answered")


def normalise_answer(record_type: str, text: str) -> str:
    value = text.strip()
    if record_type in ("A", "AAAA"):
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            return value
    if record_type in ("CNAME", "NS"):
        return value.rstrip(".").lower()
    if record_type == "MX":
        preference, _, exchange = value.partition(" ")
        return (
            f"{preference} {exchange.strip().rstrip('.').lower()}" if exchange else value.rstrip(".").lower()
        )
    return value


def judge_dns(config: DnsConfig, result: dict[str, Any]) -> ProbeError | None:
    rcode = result.get("rcode")
    if rcode != "NOERROR":
        return {"code": "DNS_RCODE", "message": f"{config.name} {config.record_type}: {rcode}"}
    if config.expected_answers:
        answers = {normalise_answer(config.record_type, answer) for answer in result.get("answers") or []}
        missing = [
            expected
            for expected in config.expected_answers
            if normalise_answer(config.record_type, expected) not in answers
        ]
        if missing:
            return {
                "code": "DNS_ANSWER_MISMATCH",
                "message": f"missing from the answer: {', '.join(missing)}",
            }
    return None


DNS_STRATEGY = Strategy(
    id="dns",
    display_name="DNS lookup",
    description="Asks a name server for one record type and checks the response code and answers.",
    config_model=DnsConfig,
    result_model=DnsResult,
    judge=judge_dns,
    latency_field="resolveMs",
    probe_reference="shared.strategies.dns_probe:probe_dns",
)
