"""TCP check: config, result and verdict. The probe lives in `tcp_probe` (imported lazily)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from shared.strategies.schema import Hostname, Port, StrategyConfig, StrategyResult, chart, latency_field
from shared.strategies.strategy import ProbeError, Strategy

BANNER_READ_CAP_BYTES = 1024


class TcpConfig(StrategyConfig):
    host: Hostname
    port: Port
    read_banner: bool = Field(
        False, description=f"Read up to {BANNER_READ_CAP_BYTES} bytes the server sends first"
    )

    def target_hosts(self) -> dict[str, str]:
        return {"host": self.host}


class TcpResult(StrategyResult):
    connected: bool = Field(
        json_schema_extra=chart("boolean", "Connected", anomaly_direction="dominance"),
    )
    connect_ms: float = latency_field("Connect Time", description="Time to establish the TCP connection")
    banner: str | None = Field(None, json_schema_extra=chart("text", "Banner"))


def judge_tcp(config: TcpConfig, result: dict[str, Any]) -> ProbeError | None:
    if result.get("connected") is not True:
        return {"code": "PROBE_FAILED", "message": f"could not connect to {config.host}:{config.port}"}
    return None


TCP_STRATEGY = Strategy(
    id="tcp",
    display_name="TCP port",
    description="Opens a TCP connection and optionally reads the greeting banner.",
    config_model=TcpConfig,
    result_model=TcpResult,
    judge=judge_tcp,
    latency_field="connectMs",
    probe_reference="shared.strategies.tcp_probe:probe_tcp",
)
