"""Base models for strategy configs and results, and the JSON Schema annotations dashboards read."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

ChartType = Literal["line", "gauge", "counter", "boolean", "text", "status"]
AnomalyDirection = Literal["lower-is-better", "higher-is-better", "deviation", "dominance"]


class StrategyConfig(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    def target_hosts(self) -> dict[str, str]:
        """Hosts this config connects to, by field alias: checked against the SSRF guard at config time."""
        return {}


class StrategyResult(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


def chart(
    chart_type: ChartType,
    label: str,
    *,
    unit: str | None = None,
    anomaly_direction: AnomalyDirection | None = None,
    anomaly_sensitivity: float = 2,
    anomaly_confirmation_window: int = 3,
) -> dict[str, Any]:
    """The `x-chart-*` and `x-anomaly-*` keys of one result field."""
    extra: dict[str, Any] = {"x-chart-type": chart_type, "x-chart-label": label}
    if unit is not None:
        extra["x-chart-unit"] = unit
    if anomaly_direction is None:
        extra["x-anomaly-enabled"] = False
    else:
        extra.update(
            {
                "x-anomaly-enabled": True,
                "x-anomaly-direction": anomaly_direction,
                "x-anomaly-sensitivity": anomaly_sensitivity,
                "x-anomaly-confirmation-window": anomaly_confirmation_window,
            }
        )
    return extra


def latency_field(label: str, *, description: str) -> Any:
    return Field(
        ge=0,
        description=description,
        json_schema_extra=chart("line", label, unit="ms", anomaly_direction="lower-is-better"),
    )


_HOSTNAME_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")


def _valid_host(value: str) -> str:
    host = value.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise ValueError("must be a host name or an IP address, without scheme or port") from None
        return host
    labels = host.rstrip(".").split(".")
    if not host or len(host) > 253 or not all(_HOSTNAME_LABEL.match(label) for label in labels):
        raise ValueError("must be a host name or an IP address, without scheme or port")
    return host


Hostname = Annotated[str, StringConstraints(min_length=1, max_length=255), AfterValidator(_valid_host)]
Port = Annotated[int, Field(ge=1, le=65535)]
