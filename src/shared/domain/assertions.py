"""Assertions on a probe outcome (API.md operators). Pure: no I/O, never raises on odd data.

Sources: `status`, `latencyMs`, `result.<dotted.path>` (list items by index), `result.body` (the
HTTP body text) and `result.body.$<jsonpath>` (JSONPath into the body parsed as JSON). A path that
does not resolve has actual None; only `exists`/`notExists` tell missing from null.

Semantics: a type mismatch fails the assertion. `ne` is the negation of `eq`. Ordering operators
compare numbers with numbers (a numeric string actual such as a header is read as a number) or
strings with strings. `contains` is substring on strings and membership on lists. `in` passes when
the actual equals one of the listed values.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from shared.domain.assertion_operators import MAX_MATCH_INPUT_CHARS, MAX_PATTERN_LENGTH, passes, value_problem
from shared.domain.assertion_sources import MISSING, SourceReader, source_problem

__all__ = [
    "BUDGET_SPENT",
    "MAX_MATCH_INPUT_CHARS",
    "MAX_PATTERN_LENGTH",
    "evaluate_assertions",
    "source_problem",
    "value_problem",
]

MAX_STORED_ACTUAL_CHARS = 1024
BUDGET_SPENT = {"code": "ASSERTION_BUDGET_SPENT", "message": "not evaluated: the check's time budget ran out"}


def evaluate_assertions(
    assertions: list[Mapping[str, Any]],
    *,
    status: str,
    latency_ms: float | None,
    result: Mapping[str, Any],
    body: str | None = None,
    budget_seconds: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> list[dict[str, Any]]:
    """Evaluate every assertion (none short-circuits) into `{source, operator, value, actual, passed}`.

    With a budget, an assertion that would start after it is spent fails unevaluated (actual None).
    Each single evaluation is bounded in itself: RE2 matches in linear time on a capped input, and
    JSONPath expressions were refused at create time when they could blow up (see `assertion_problem`).
    """
    reader = SourceReader(status=status, latency_ms=latency_ms, result=result, body=body)
    deadline = None if budget_seconds is None else clock() + budget_seconds
    outcomes = []
    for assertion in assertions:
        source = str(assertion.get("source", ""))
        operator = str(assertion.get("operator", ""))
        expected = assertion.get("value")
        if deadline is not None and clock() >= deadline:
            outcomes.append(
                {
                    "source": source,
                    "operator": operator,
                    "value": expected,
                    "actual": None,
                    "passed": False,
                    "evaluated": False,
                }
            )
            continue
        actual = reader.read(source)
        passed = passes(operator, actual, expected)
        outcomes.append(
            {
                "source": source,
                "operator": operator,
                "value": expected,
                "actual": None if actual is MISSING else _storable(actual),
                "passed": passed,
            }
        )
    return outcomes


_SCALARS = (bool, int, float, type(None))


def _storable(actual: Any) -> Any:
    if type(actual) in _SCALARS:
        return actual
    if isinstance(actual, str) and len(actual) > MAX_STORED_ACTUAL_CHARS:
        return actual[:MAX_STORED_ACTUAL_CHARS]
    if isinstance(actual, dict | list):
        try:
            encoded = json.dumps(actual)
        except (TypeError, ValueError):
            return None
        if len(encoded) > MAX_STORED_ACTUAL_CHARS:
            return encoded[:MAX_STORED_ACTUAL_CHARS]
    return actual
