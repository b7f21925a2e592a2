"""Registry of check strategies: look one up, describe it, validate a config for it.

Importing this package loads only pydantic models and the standard library; probe code (aiohttp,
dnspython, ssl, cryptography) is imported when a probe first runs.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from shared.domain.errors import ValidationFailedError
from shared.strategies.dns_check import DNS_STRATEGY
from shared.strategies.heartbeat_check import HEARTBEAT_STRATEGY
from shared.strategies.http_check import HTTP_STRATEGY
from shared.strategies.strategy import Strategy
from shared.strategies.targets import forbidden_literal_reason
from shared.strategies.tcp_check import TCP_STRATEGY
from shared.strategies.tls_check import TLS_STRATEGY

__all__ = [
    "Strategy",
    "config_error_details",
    "describe",
    "get_strategy",
    "list_strategies",
    "validate_config",
]

_STRATEGIES: dict[str, Strategy] = {
    strategy.id: strategy
    for strategy in (HTTP_STRATEGY, TCP_STRATEGY, DNS_STRATEGY, TLS_STRATEGY, HEARTBEAT_STRATEGY)
}


def get_strategy(strategy_id: str) -> Strategy:
    strategy = _STRATEGIES.get(strategy_id)
    if strategy is None:
        known = ", ".join(sorted(_STRATEGIES))
        raise ValidationFailedError(
            "unknown strategy",
            [{"field": "body.strategyId", "message": f"unknown strategy {strategy_id!r}; known: {known}"}],
        )
    return strategy


def list_strategies() -> list[Strategy]:
    return list(_STRATEGIES.values())


def describe(strategy: Strategy) -> dict[str, Any]:
    """The `GET /strategies` item: ids, names and the JSON Schemas of config and result, by alias."""
    return {
        "id": strategy.id,
        "displayName": strategy.display_name,
        "description": strategy.description,
        "configSchema": strategy.config_model.model_json_schema(by_alias=True),
        "resultSchema": strategy.result_model.model_json_schema(by_alias=True),
    }


def _field_path(location: tuple[int | str, ...]) -> str:
    return ".".join(["body", "config", *(str(part) for part in location)])


def config_error_details(error: ValidationError) -> list[dict[str, str]]:
    """API.md error details for a config that failed its model, one per field."""
    return [
        {"field": _field_path(item["loc"]), "message": item["msg"].removeprefix("Value error, ")}
        for item in error.errors(include_url=False, include_context=False, include_input=False)
    ]


def validate_config(
    strategy_id: str, config: dict[str, Any], *, allow_private_targets: bool
) -> dict[str, Any]:
    """Validate and normalise a config (wire form); literal private targets are refused unless allowed."""
    strategy = get_strategy(strategy_id)
    try:
        parsed = strategy.config_model.model_validate(config)
    except ValidationError as error:
        raise ValidationFailedError("invalid config", config_error_details(error)) from None
    if not allow_private_targets:
        details = [
            {"field": _field_path((field,)), "message": reason}
            for field, host in parsed.target_hosts().items()
            if (reason := forbidden_literal_reason(host)) is not None
        ]
        if details:
            raise ValidationFailedError("forbidden target", details)
    return parsed.model_dump(mode="json", by_alias=True)
