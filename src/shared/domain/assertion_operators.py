"""The assertion operators of API.md: a type mismatch fails, `ne` negates `eq`, ordering compares
numbers with numbers (a numeric string reads as a number) or strings with strings, `matches` is RE2. Pure."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import re2

from shared.domain.assertion_sources import MISSING

MAX_PATTERN_LENGTH = 200
MAX_MATCH_INPUT_CHARS = 100_000
_SCALARS = (bool, int, float, type(None))
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


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


def value_problem(operator: str, value: Any) -> str | None:
    """Why an assertion value does not suit its operator, checked when it is stored."""
    if operator != "matches":
        return None
    if not isinstance(value, str):
        return "operator matches needs a string pattern"
    return pattern_problem(value)


def passes(operator: str, actual: Any, expected: Any) -> bool:
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
