"""Run many checks concurrently with hard per-probe timeouts and an overall budget.

Used by the executor and the satellite agent. A probe problem is always an `unhealthy` outcome
with an error code; nothing a target does can make `run_checks` raise.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from shared.domain.errors import ValidationFailedError
from shared.domain.models import format_timestamp
from shared.strategies import config_error_details, get_strategy
from shared.strategies.probing import (
    ProbeContext,
    ProbeFailure,
    ProbeResult,
    SslContextFactory,
    failure_from_exception,
)
from shared.strategies.strategy import Strategy
from shared.strategies.verdicts import OutcomeStatus, judge

DEFAULT_MAX_CONCURRENCY = 100
CANCELLATION_GRACE_SECONDS = 2.0


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
    run_started_at = clock()
    outcomes: list[ProbeOutcome | None] = [None] * len(specs)
    started_at: dict[int, datetime] = {}
    calls = _prepare_calls(specs, outcomes, run_started_at)
    # A fixed pool of workers rather than a task per spec: thousands of parked tasks cost
    # more in garbage-collector passes than the probes themselves.
    pending = iter(calls)
    budget_spent = asyncio.Event()
    workers = [
        asyncio.create_task(_work(pending, context, outcomes, started_at, budget_spent))
        for _ in range(min(max_concurrency, len(calls)))
    ]
    try:
        if workers:
            await asyncio.wait(workers, timeout=budget_seconds)
    finally:
        budget_spent.set()
        # Cancel, then wait: a probe is never abandoned with its socket open. The wait is bounded
        # so that a probe which swallows its cancellation cannot hold the run (and the Lambda) hostage.
        for worker in workers:
            worker.cancel()
        if workers:
            await asyncio.wait(workers, timeout=CANCELLATION_GRACE_SECONDS)
        await context.aclose()
    out_of_budget = ProbeFailure(
        "TIMEOUT", f"the run budget of {budget_seconds:g}s ran out before the probe finished"
    )
    return [
        outcome or _failed(specs[index], started_at.get(index, run_started_at), out_of_budget)
        for index, outcome in enumerate(outcomes)
    ]


def run_checks_sync(specs: Sequence[CheckSpec], **options: Any) -> list[ProbeOutcome]:
    """`run_checks` (same keyword options) for synchronous callers such as a Lambda handler: its own
    event loop per call."""
    return asyncio.run(run_checks(specs, **options))


def _needs_body(assertions: list[dict[str, Any]]) -> bool:
    return any(str(assertion.get("source", "")).startswith("result.body") for assertion in assertions)


@dataclass(frozen=True)
class _ProbeCall:
    index: int
    spec: CheckSpec
    strategy: Strategy
    config: Any
    probe: Callable[..., Any]


def _prepare_calls(
    specs: Sequence[CheckSpec], outcomes: list[ProbeOutcome | None], now: datetime
) -> list[_ProbeCall]:
    """Validate every config up front; an invalid one gets its outcome at once and is not probed."""
    calls = []
    probes: dict[str, Callable[..., Any]] = {}
    for index, spec in enumerate(specs):
        try:
            strategy = get_strategy(spec.strategy_id)
            config = strategy.config_model.model_validate(spec.config)
        except ValidationFailedError as error:
            outcomes[index] = _failed(spec, now, ProbeFailure("CONFIG_INVALID", _joined(error.details)))
            continue
        except ValidationError as error:
            outcomes[index] = _failed(
                spec, now, ProbeFailure("CONFIG_INVALID", _joined(config_error_details(error)))
            )
            continue
        if strategy.id not in probes:
            probes[strategy.id] = strategy.load_probe()
        calls.append(_ProbeCall(index, spec, strategy, config, probes[strategy.id]))
    return calls


def _joined(details: list[dict[str, str]]) -> str:
    return "; ".join(f"{detail['field']}: {detail['message']}" for detail in details)[:500]


async def _work(
    pending: Iterator[_ProbeCall],
    context: ProbeContext,
    outcomes: list[ProbeOutcome | None],
    started_at: dict[int, datetime],
    budget_spent: asyncio.Event,
) -> None:
    # Workers share one iterator; taking the next call never awaits, so no two take the same.
    for call in pending:
        if budget_spent.is_set():
            return
        started_at[call.index] = context.clock()
        try:
            outcomes[call.index] = await _run_one(call, context, started_at[call.index])
        except Exception as error:  # a bug in judging must cost one outcome, not the worker
            outcomes[call.index] = _failed(call.spec, started_at[call.index], failure_from_exception(error))


async def _run_one(call: _ProbeCall, context: ProbeContext, started_at: datetime) -> ProbeOutcome:
    spec = call.spec
    loop = asyncio.get_running_loop()
    deadline = loop.time() + spec.timeout_seconds
    try:
        async with asyncio.timeout_at(deadline):
            probe_result: ProbeResult = await call.probe(
                call.config, context, timeout_seconds=spec.timeout_seconds
            )
    except Exception as error:
        return _failed(spec, started_at, failure_from_exception(error), call.strategy, call.config)
    body = probe_result.body_text() if _needs_body(spec.assertions) else None
    # Assertions share the probe's timeout: whatever the probe left of it is their budget.
    verdict = judge(
        call.strategy,
        call.config,
        probe_result.result,
        spec.assertions,
        None,
        body,
        None,
        budget_seconds=max(0.0, deadline - loop.time()),
    )
    return ProbeOutcome(
        key=spec.key,
        status=verdict.status,
        latency_ms=verdict.latency_ms,
        result=probe_result.result,
        assertions=verdict.assertions,
        error=verdict.error,
        started_at=started_at,
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
        judge(strategy, config, {}, spec.assertions, None, None, error).assertions
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
