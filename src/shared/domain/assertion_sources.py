"""Where an assertion's actual value comes from: status, latency, a dotted path into the result, the
body text or a JSONPath into the body. A path that does not resolve reads as MISSING. Pure."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

MAX_JSONPATH_DESCENTS = 2
BODY_SOURCE = "result.body"
BODY_JSONPATH_PREFIX = "result.body.$"


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class SourceReader:
    """Reads the sources of one outcome; the body is parsed as JSON at most once."""

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
        if source == BODY_SOURCE and self._body is not None:
            return self._body
        if source.startswith(BODY_JSONPATH_PREFIX):
            return self._read_body_jsonpath(source[len(BODY_JSONPATH_PREFIX) - 1 :])
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
    if source.startswith(BODY_JSONPATH_PREFIX):
        return jsonpath_problem(source[len(BODY_JSONPATH_PREFIX) - 1 :])
    return None
