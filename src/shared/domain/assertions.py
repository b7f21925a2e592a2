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

import contextlib
import json
import math
import re
import time
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import re2

MAX_PATTERN_LENGTH = 200
MAX_MATCH_INPUT_CHARS = 100_000
MAX_STORED_ACTUAL_CHARS = 1024
MAX_JSONPATH_DESCENTS = 2
BUDGET_SPENT = {"code": "ASSERTION_BUDGET_SPENT", "message": "not evaluated: the check's time budget ran out"}

_BODY_SOURCE = "result.body"
_BODY_JSONPATH_PREFIX = "result.body.$"
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


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
    reader = _SourceReader(status=status, latency_ms=latency_ms, result=result, body=body)
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
        passed = _passes(operator, actual, expected)
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


class _SourceReader:
    def __init__(self, *, status: str, latency_ms: float | None, result: Mapping[str, Any], body: str | None):
        self._status = status
        self._latency_ms = latency_ms
        self._result = result
        self._body = body
        self._parsed_body: Any = None
        self._body_parsed = False

    def read(self, source: str) -> Any:
        if source == "status":
            return self._status
        if source == "latencyMs":
            return MISSING if self._latency_ms is None else self._latency_ms
        if source == _BODY_SOURCE and self._body is not None:
            return self._body
        if source.startswith(_BODY_JSONPATH_PREFIX):
            return self._read_body_jsonpath(source[len(_BODY_JSONPATH_PREFIX) - 1 :])
        if source.startswith("result."):
            return _read_dotted(self._result, source[len("result.") :])
        return MISSING

    def _read_body_jsonpath(self, expression: str) -> Any:
        document = self._json_body()
        if document is MISSING:
            return MISSING
        steps = _simple_path_steps(expression)
        if steps is not None:
            return _walk(document, steps)
        finder = _compiled_jsonpath(expression)
        if finder is None:
            return MISSING
        try:
            matches = [match.value for match in finder.find(document)]
        except Exception:  # jsonpath-ng raises assorted errors on odd documents
            return MISSING
        if not matches:
            return MISSING
        return matches[0] if len(matches) == 1 else matches

    def _json_body(self) -> Any:
        if not self._body_parsed:
            self._body_parsed = True
            self._parsed_body = MISSING
            if self._body is not None:
                with contextlib.suppress(ValueError, RecursionError):
                    self._parsed_body = json.loads(self._body)
        return self._parsed_body


_SIMPLE_JSONPATH = re.compile(r"^\$((?:\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])*)$")
_SIMPLE_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]")


@lru_cache(maxsize=512)
def _simple_path_steps(expression: str) -> tuple[str | int, ...] | None:
    """Steps of a plain `$.a.b[0]` path, walked directly: jsonpath-ng costs tens of microseconds per probe."""
    match = _SIMPLE_JSONPATH.match(expression)
    if match is None:
        return None
    return tuple(name if name else int(index) for name, index in _SIMPLE_STEP.findall(match.group(1)))


def _walk(document: Any, steps: tuple[str | int, ...]) -> Any:
    current = document
    for step in steps:
        if isinstance(step, int):
            if not isinstance(current, list) or step >= len(current):
                return MISSING
        elif not isinstance(current, dict) or step not in current:
            return MISSING
        current = current[step]
    return current


@lru_cache(maxsize=512)
def _compiled_jsonpath(expression: str) -> Any:
    from jsonpath_ng.ext import parse  # deferred: only body assertions need it

    if "=~" in expression:  # jsonpath-ng filters match with Python's backtracking `re`
        return None
    try:
        return parse(expression)
    except Exception:  # jsonpath-ng raises its own lexer/parser errors
        return None


def _read_dotted(document: Any, path: str) -> Any:
    current = document
    for part in path.split("."):
        if isinstance(current, Mapping):
            if part not in current:
                return MISSING
            current = current[part]
        elif isinstance(current, list) and part.lstrip("-").isdigit():
            index = int(part)
            if not -len(current) <= index < len(current):
                return MISSING
            current = current[index]
        else:
            return MISSING
    return current


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


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_number(value: Any) -> float | int | None:
    if _is_number(value):
        return value
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _equal(actual: Any, expected: Any) -> bool:
    if type(actual) is type(expected) and type(actual) in _SCALARS:
        return bool(actual == expected)
    if actual is MISSING:
        return False
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    if _is_number(expected) and isinstance(actual, str):
        return _as_number(actual) == expected
    try:
        return bool(actual == expected)
    except Exception:
        return False


def _ordered(actual: Any, expected: Any, compare: Callable[[Any, Any], bool]) -> bool:
    if _is_number(expected):
        number = _as_number(actual)
        return number is not None and compare(number, expected)
    if isinstance(expected, str) and isinstance(actual, str):
        return compare(actual, expected)
    return False


def _contains(actual: Any, expected: Any) -> bool | None:
    """None when the types do not fit, so that notContains also fails."""
    if isinstance(actual, str) and isinstance(expected, str):
        return expected in actual
    if isinstance(actual, list):
        return any(_equal(item, expected) for item in actual)
    return None


def _matches(actual: Any, pattern: Any) -> bool:
    if not isinstance(actual, str) or not isinstance(pattern, str):
        return False
    compiled = _compiled_pattern(pattern)
    return compiled is not None and compiled.search(actual[:MAX_MATCH_INPUT_CHARS]) is not None


@lru_cache(maxsize=512)
def _compiled_pattern(pattern: str) -> Any:
    """RE2 matches in time linear in the input: no pattern a monitored server answers can stall a run."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return None
    try:
        return re2.compile(pattern, _RE2_OPTIONS)
    except re2.error:
        return None


def pattern_problem(pattern: str) -> str | None:
    """Why RE2 cannot use `pattern`, or None."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"a pattern has at most {MAX_PATTERN_LENGTH} characters"
    try:
        re2.compile(pattern, _RE2_OPTIONS)
    except re2.error as error:
        reason = (
            error.args[0].decode(errors="replace") if error.args and isinstance(error.args[0], bytes) else ""
        )
        return f"RE2 cannot compile this pattern (no backreferences or lookaround): {reason}".rstrip(": ")
    return None


def jsonpath_problem(expression: str) -> str | None:
    """Why `expression` is refused as a body JSONPath, or None."""
    if _simple_path_steps(expression) is not None:
        return None
    if "=~" in expression:
        return "JSONPath regex filters are not supported; use the matches operator"
    if expression.count("..") > MAX_JSONPATH_DESCENTS:
        return f"at most {MAX_JSONPATH_DESCENTS} recursive descents (..)"
    if _compiled_jsonpath(expression) is None:
        return "not a valid JSONPath expression"
    return None


def source_problem(source: str) -> str | None:
    """Why an assertion source cannot be evaluated safely, checked when it is stored."""
    if source.startswith(_BODY_JSONPATH_PREFIX):
        return jsonpath_problem(source[len(_BODY_JSONPATH_PREFIX) - 1 :])
    return None


def value_problem(operator: str, value: Any) -> str | None:
    """Why an assertion value does not suit its operator, checked when it is stored."""
    if operator != "matches":
        return None
    if not isinstance(value, str):
        return "operator matches needs a string pattern"
    return pattern_problem(value)


def _passes(operator: str, actual: Any, expected: Any) -> bool:
    try:
        return _OPERATORS[operator](actual, expected) if operator in _OPERATORS else False
    except Exception:  # a defensive net: an assertion fails, the run is never lost
        return False


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": _equal,
    "ne": lambda actual, expected: not _equal(actual, expected),
    "lt": lambda actual, expected: _ordered(actual, expected, lambda a, b: a < b),
    "lte": lambda actual, expected: _ordered(actual, expected, lambda a, b: a <= b),
    "gt": lambda actual, expected: _ordered(actual, expected, lambda a, b: a > b),
    "gte": lambda actual, expected: _ordered(actual, expected, lambda a, b: a >= b),
    "contains": lambda actual, expected: _contains(actual, expected) is True,
    "notContains": lambda actual, expected: _contains(actual, expected) is False,
    "startsWith": lambda actual, expected: (
        isinstance(actual, str) and isinstance(expected, str) and actual.startswith(expected)
    ),
    "endsWith": lambda actual, expected: (
        isinstance(actual, str) and isinstance(expected, str) and actual.endswith(expected)
    ),
    "matches": _matches,
    "exists": lambda actual, _expected: actual is not MISSING,
    "notExists": lambda actual, _expected: actual is MISSING,
    "in": lambda actual, expected: (
        isinstance(expected, list) and any(_equal(actual, item) for item in expected)
    ),
}
