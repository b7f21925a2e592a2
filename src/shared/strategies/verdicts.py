"""Judging a probe's result: the strategy's own verdict, then the check's assertions.

One judgement for a local probe (`runner`) and for a raw result a satellite sent (`evaluate_raw_result`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from shared.domain.assertions import BUDGET_SPENT, evaluate_assertions
from shared.strategies import get_strategy
from shared.strategies.strategy import Strategy

OutcomeStatus = Literal["healthy", "unhealthy"]
RAW_RESULT_BUDGET_SECONDS = 1.0


@dataclass(frozen=True)
class Verdict:
    status: OutcomeStatus
    latency_ms: float | None
    assertions: list[dict[str, Any]]
    error: dict[str, str] | None


def evaluate_raw_result(
    strategy_id: str,
    config: Mapping[str, Any],
    result: Mapping[str, Any],
    assertions: Sequence[Mapping[str, Any]],
    *,
    latency_ms: float | None = None,
    body: str | None = None,
    reported_error: dict[str, str] | None = None,
    budget_seconds: float = RAW_RESULT_BUDGET_SECONDS,
) -> Verdict:
    """Judge a raw result (e.g. one a satellite sent) exactly as a local probe's result is judged.

    Body assertions need the body, which satellites do not send: without it they fail.
    """
    strategy = get_strategy(strategy_id)
    parsed_config = strategy.config_model.model_validate(dict(config))
    return judge(
        strategy,
        parsed_config,
        dict(result),
        list(assertions),
        latency_ms,
        body,
        reported_error,
        budget_seconds,
    )


def judge(
    strategy: Strategy,
    config: Any,
    result: dict[str, Any],
    assertions: list[Mapping[str, Any]],
    latency_ms: float | None,
    body: str | None,
    probe_error: dict[str, str] | None,
    budget_seconds: float | None = None,
) -> Verdict:
    """The outcome of one result: the strategy's judgement, then the assertions within their budget."""
    if probe_error is None:
        probe_error = strategy.judge(config, result)
    if latency_ms is None:
        latency_ms = result.get(strategy.latency_field)
    latency_ms = _whole_milliseconds(latency_ms)
    probe_status = "healthy" if probe_error is None else "unhealthy"
    outcomes = (
        evaluate_assertions(
            assertions,
            status=probe_status,
            latency_ms=latency_ms,
            result=result,
            body=body,
            budget_seconds=budget_seconds,
        )
        if assertions
        else []
    )
    error = probe_error or _first_failed_assertion(outcomes)
    return Verdict(
        status="healthy" if error is None else "unhealthy",
        latency_ms=latency_ms,
        assertions=outcomes,
        error=error,
    )


def _whole_milliseconds(latency_ms: Any) -> int | None:
    """API.md: durations are integers."""
    if isinstance(latency_ms, int | float) and not isinstance(latency_ms, bool) and math.isfinite(latency_ms):
        return round(latency_ms)
    return None


def _first_failed_assertion(outcomes: list[dict[str, Any]]) -> dict[str, str] | None:
    failed = [outcome for outcome in outcomes if not outcome["passed"]]
    if not failed:
        return None
    first = failed[0]
    if first.get("evaluated") is False:
        return dict(BUDGET_SPENT)
    message = f"{first['source']} {first['operator']} {first['value']!r} failed (actual {first['actual']!r})"
    if len(failed) > 1:
        message += f" and {len(failed) - 1} more"
    return {"code": "ASSERTION_FAILED", "message": message[:500]}
