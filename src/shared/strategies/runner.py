"""Run many checks concurrently with hard per-probe timeouts and an overall budget.

Used by the executor and the satellite agent. A probe problem is always an `unhealthy` outcome
with an error code; nothing a target does can make `run_checks` raise.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import ValidationError

from shared.domain.assertions import evaluate_assertions
from shared.domain.errors import ValidationFailedError
from shared.domain.models import format_timestamp
from shared.strategies import get_strategy
from shared.strategies.probing import (
    ProbeContext,
    ProbeFailure,
    ProbeResult,
    SslContextFactory,
    failure_from_exception,
)
from shared.strategies.strategy import Strategy

OutcomeStatus = Literal["healthy", "unhealthy"]
DEFAULT_MAX_CONCURRENCY = 100


@dataclass
class CheckSpec:
    key: str
    """The caller's id for this check; outcomes carry it back."""
    strategy_id: str
    config: dict[str, Any]
    timeout_seconds: float
    assertions: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ProbeOutcome:
    key: str
    status: OutcomeStatus
    latency_ms: float | None
    result: dict[str, Any]
    """The stored result: never the HTTP body."""
    assertions: list[dict[str, Any]]
    error: dict[str, str] | None
    started_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "status": self.status,
            "latencyMs": self.latency_ms,
            "result": self.result,
            "assertions": self.assertions,
            "error": self.error,
            "startedAt": format_timestamp(self.started_at),
        }


@dataclass(frozen=True)
class Verdict:
    status: OutcomeStatus
    latency_ms: float | None
    assertions: list[dict[str, Any]]
    error: dict[str, str] | None


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def run_checks(
    specs: Sequence[CheckSpec],
    *,
    allow_private_targets: bool,
    budget_seconds: float,
    ssl_context_factory: SslContextFactory | None = None,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    clock: Callable[[], datetime] = _utc_now,
) -> list[ProbeOutcome]:
    """Probe every spec concurrently and return one outcome per spec, in order."""
    context = ProbeContext(
        allow_private_targets=allow_private_targets,
        ssl_context_factory=ssl_context_factory,
        clock=clock,
        http_connection_limit=max_concurrency,
    )
    slots = asyncio.Semaphore(max_concurrency)
    run_started_at = clock()
    started_at: dict[int, datetime] = {}
    outcomes: list[ProbeOutcome | None] = [None] * len(specs)
    tasks: dict[int, asyncio.Task[ProbeOutcome]] = {}
    probes: dict[str, Callable[..., Any]] = {}
    for index, spec in enumerate(specs):
        try:
            strategy = get_strategy(spec.strategy_id)
            config = strategy.config_model.model_validate(spec.config)
        except (ValidationFailedError, ValidationError) as error:
            failure = ProbeFailure("CONFIG_INVALID", str(error)[:500])
            outcomes[index] = _failed(spec, run_started_at, failure)
            continue
        if strategy.id not in probes:
            probes[strategy.id] = strategy.load_probe()
        probe_call = _ProbeCall(spec, strategy, config, probes[strategy.id])
        tasks[index] = asyncio.create_task(_run_one(probe_call, context, slots, started_at, index))
    try:
        if tasks:
            await asyncio.wait(tasks.values(), timeout=budget_seconds)
    finally:
        # Cancel, then wait: a probe is never abandoned with its socket open.
        unfinished = [task for task in tasks.values() if not task.done()]
        for task in unfinished:
            task.cancel()
        if unfinished:
            await asyncio.gather(*unfinished, return_exceptions=True)
        await context.aclose()
    for index, task in tasks.items():
        outcomes[index] = _outcome_of(
            task, specs[index], started_at.get(index, run_started_at), budget_seconds
        )
    return outcomes  # type: ignore[return-value]


def run_checks_sync(specs: Sequence[CheckSpec], **options: Any) -> list[ProbeOutcome]:
    """`run_checks` for synchronous callers (a Lambda handler); takes the same keyword options."""
    return asyncio.run(run_checks(specs, **options))


def evaluate_result(
    strategy_id: str,
    config: Mapping[str, Any],
    result: Mapping[str, Any],
    assertions: Sequence[Mapping[str, Any]],
    *,
    latency_ms: float | None = None,
    body: str | None = None,
    reported_error: dict[str, str] | None = None,
) -> Verdict:
    """Judge a raw result (e.g. one a satellite sent) exactly as a local probe's result is judged.

    Body assertions need the body, which satellites do not send: without it they fail.
    """
    strategy = get_strategy(strategy_id)
    parsed_config = strategy.config_model.model_validate(dict(config))
    return _verdict(strategy, parsed_config, dict(result), list(assertions), latency_ms, body, reported_error)


def _verdict(
    strategy: Strategy,
    config: Any,
    result: dict[str, Any],
    assertions: list[Mapping[str, Any]],
    latency_ms: float | None,
    body: str | None,
    probe_error: dict[str, str] | None,
) -> Verdict:
    if probe_error is None:
        probe_error = strategy.judge(config, result)
    if latency_ms is None:
        latency_ms = result.get(strategy.latency_field)
    probe_status = "healthy" if probe_error is None else "unhealthy"
    outcomes = (
        evaluate_assertions(assertions, status=probe_status, latency_ms=latency_ms, result=result, body=body)
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


def _first_failed_assertion(outcomes: list[dict[str, Any]]) -> dict[str, str] | None:
    failed = [outcome for outcome in outcomes if not outcome["passed"]]
    if not failed:
        return None
    first = failed[0]
    message = f"{first['source']} {first['operator']} {first['value']!r} failed (actual {first['actual']!r})"
    if len(failed) > 1:
        message += f" and {len(failed) - 1} more"
    return {"code": "ASSERTION_FAILED", "message": message[:500]}


def _needs_body(assertions: list[dict[str, Any]]) -> bool:
    return any(str(assertion.get("source", "")).startswith("result.body") for assertion in assertions)


@dataclass(frozen=True)
class _ProbeCall:
    spec: CheckSpec
    strategy: Strategy
    config: Any
    probe: Callable[..., Any]


async def _run_one(
    call: _ProbeCall,
    context: ProbeContext,
    slots: asyncio.Semaphore,
    started_at: dict[int, datetime],
    index: int,
) -> ProbeOutcome:
    spec = call.spec
    async with slots:
        started_at[index] = context.clock()
        try:
            async with asyncio.timeout(spec.timeout_seconds):
                probe_result: ProbeResult = await call.probe(
                    call.config, context, timeout_seconds=spec.timeout_seconds
                )
        except Exception as error:
            failure = failure_from_exception(error)
            return _failed(spec, started_at[index], failure, call.strategy, call.config)
    body = probe_result.body_text() if _needs_body(spec.assertions) else None
    verdict = _verdict(call.strategy, call.config, probe_result.result, spec.assertions, None, body, None)
    return ProbeOutcome(
        key=spec.key,
        status=verdict.status,
        latency_ms=verdict.latency_ms,
        result=probe_result.result,
        assertions=verdict.assertions,
        error=verdict.error,
        started_at=started_at[index],
    )


def _failed(
    spec: CheckSpec,
    started_at: datetime,
    failure: ProbeFailure,
    strategy: Strategy | None = None,
    config: Any = None,
) -> ProbeOutcome:
    error = {"code": failure.code, "message": failure.message}
    assertions = (
        _verdict(strategy, config, {}, spec.assertions, None, None, error).assertions
        if strategy is not None
        else []
    )
    return ProbeOutcome(
        key=spec.key,
        status="unhealthy",
        latency_ms=None,
        result={},
        assertions=assertions,
        error=error,
        started_at=started_at,
    )


def _outcome_of(
    task: asyncio.Task[ProbeOutcome], spec: CheckSpec, started_at: datetime, budget: float
) -> ProbeOutcome:
    if not task.cancelled():
        error = task.exception()
        if error is None:
            return task.result()
        return _failed(spec, started_at, failure_from_exception(error))
    return _failed(
        spec,
        started_at,
        ProbeFailure("TIMEOUT", f"the run budget of {budget:g}s ran out before the probe finished"),
    )
