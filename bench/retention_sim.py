"""The real retention pass (shared.services.retention) on the in-memory store (tests/fakes) behind the
latency table of bench/latency.py, so 10,000 assignments take seconds, not moto's many minutes.

`PortLatency(port, clock)` wraps a store port: each port call counts the DynamoDB calls the
repository makes for it (DYNAMODB_CALLS, which tests/integration/test_retention_harness.py checks
against moto's counts for the same pass) and charges their latency to the simulated clock.
`run_pass` runs invocations of the retention function's timeout (template.yaml) until the day's pass
is finished: an invocation that runs out of time sends one message to the continuation queue
(services/retention_run.py), so the next starts CONTINUATION_SECONDS after it ended, not an hour later.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.latency import TYPICAL_LATENCY_MS, SimulatedClock

# The continuation: one SendMessage, then the SQS event source's long poll hands the message to a new
# invocation (typically well under a second; a second is charged).
CONTINUATION_SECONDS = TYPICAL_LATENCY_MS["SendMessage"] / 1000 + 1.0
EXPIRY_WRITERS = 16  # functions/retention/app.py
MAX_INVOCATIONS = 48


def _batch_writes(_: str, sort_keys: list[str]) -> Counter[str]:
    return Counter({"BatchWriteItem": math.ceil(len(sort_keys) / 25)})


# What each port method costs in DynamoDB calls (shared/data/retention.py, sweeps.py, assignments.py).
DYNAMODB_CALLS: dict[str, Counter[str] | Callable[..., Counter[str]]] = {
    "tombstones": Counter({"Query": 1}),
    "delete_tombstone": Counter({"DeleteItem": 1}),
    "key_page": Counter({"Query": 1}),
    "delete_keys": _batch_writes,
    "set_expiry": Counter({"UpdateItem": 1}),
    "record_stored_retention": Counter({"UpdateItem": 1}),
    "list_assignments_page": Counter({"Query": 1}),
    "load": Counter({"GetItem": 1}),
    "save": Counter({"PutItem": 1}),
    # the daily rollup (services/rollup.py): the check item, its settled hourly items, one transaction
    "get_check_state": Counter({"GetItem": 1}),
    "list_aggregates": Counter({"Query": 1}),
    "commit_rollup": Counter({"TransactWriteItems": 1}),
}
NO_CALL = frozenset({"history_partition", "check_transitions_partition", "system_partitions"})


class PortLatency:
    """Forwards to a store port, counting the DynamoDB calls each method stands for and charging
    their typical latency to `clock`, in sequence (as the repository makes them)."""

    def __init__(self, port: Any, clock: SimulatedClock, calls: Counter[str]):
        self._port = port
        self._clock = clock
        self.calls = calls

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._port, name)
        if name in NO_CALL:
            return target
        cost = DYNAMODB_CALLS[name]  # a method without a known cost is refused, never guessed

        def call(*args: Any, **kwargs: Any) -> Any:
            made = cost(*args, **kwargs) if callable(cost) else cost
            self.calls.update(made)
            self._clock.charge(sum(TYPICAL_LATENCY_MS[api] * n for api, n in made.items()) / 1000)
            return target(*args, **kwargs)

        return call


class Cache:
    """The status cache: invalidations acknowledged at no cost (not a DynamoDB call)."""

    def invalidate(self, key: str) -> bool:
        return True


@dataclass
class PassOutcome:
    invocations: int
    first_invocation_assignments: int
    finished: bool
    seconds: float
    latency_seconds: float


def run_pass(
    collaborators: Any,
    store: Any,
    checkpoints: Any,
    clock: SimulatedClock,
    calls: Counter[str],
    *,
    timeout_seconds: float,
    cpu_ms_per_call: float = 0.0,
    cpu_factor: float = 1.0,
) -> PassOutcome:
    """Invocations of `timeout_seconds` from the checkpoint, each unfinished one continued at once
    through the queue, until the pass is done. Each lasts at least its calls' client CPU (the
    scheduler bench's floor)."""
    from shared.services.retention import apply_retention

    began = clock.elapsed
    latency = 0.0
    first = None
    invocations = 0
    while invocations < MAX_INVOCATIONS:
        invocations += 1
        started, calls_before = clock.elapsed, sum(calls.values())
        report = apply_retention(
            collaborators,
            store,
            checkpoints,
            time_left=clock.budget(timeout_seconds),
            parallel_map=clock.parallel(EXPIRY_WRITERS),
        )
        latency += clock.elapsed - started
        cpu_seconds = (sum(calls.values()) - calls_before) * cpu_ms_per_call * cpu_factor / 1000
        clock.elapsed = max(clock.elapsed, started + cpu_seconds)
        first = report.assignments if first is None else first
        if report.finished:
            break
        calls.update({"SendMessage": 1})
        clock.elapsed += CONTINUATION_SECONDS
    return PassOutcome(invocations, first, report.finished, clock.elapsed - began, latency)


def retention_timeout_seconds() -> float:
    """RetentionFunction's Timeout in template.yaml."""
    from local.template import Template

    return float(Template.load().function("RetentionFunction").timeout_seconds)
