import json
from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.assertions import MAX_PATTERN_LENGTH, evaluate_assertions
from shared.domain.models import AssertionOperator

RESULT = {
    "statusCode": 200,
    "headers": {"content-type": "application/json", "content-length": "512"},
    "answers": ["192.0.2.1", "192.0.2.2"],
    "chainValid": True,
    "banner": None,
}
BODY = json.dumps({"data": {"ok": True, "count": 3, "name": "checkout", "tags": ["a", "b"]}})


def check(source: str, operator: str, value=None, *, body: str | None = BODY) -> dict:
    [outcome] = evaluate_assertions(
        [{"source": source, "operator": operator, "value": value}],
        status="healthy",
        latency_ms=120.5,
        result=RESULT,
        body=body,
    )
    return outcome


@pytest.mark.parametrize(
    ("source", "operator", "value", "passed"),
    [
        ("status", "eq", "healthy", True),
        ("status", "ne", "healthy", False),
        ("result.statusCode", "eq", 200, True),
        ("result.statusCode", "eq", "200", False),
        ("result.chainValid", "eq", 1, False),
        ("result.chainValid", "eq", True, True),
        ("result.statusCode", "ne", 500, True),
        ("latencyMs", "lt", 200, True),
        ("latencyMs", "lt", 120.5, False),
        ("latencyMs", "lte", 120.5, True),
        ("latencyMs", "gt", 100, True),
        ("latencyMs", "gte", 121, False),
        ("result.headers.content-length", "lt", 1024, True),
        ("result.headers.content-type", "lt", 5, False),
        ("result.headers.content-type", "contains", "json", True),
        ("result.headers.content-type", "notContains", "xml", True),
        ("result.answers", "contains", "192.0.2.2", True),
        ("result.answers", "notContains", "192.0.2.2", False),
        ("result.statusCode", "notContains", "2", False),
        ("result.headers.content-type", "startsWith", "application/", True),
        ("result.headers.content-type", "endsWith", "/json", True),
        ("result.statusCode", "startsWith", "2", False),
        ("result.headers.content-type", "matches", r"^application/(json|xml)$", True),
        ("result.headers.content-type", "matches", r"^text/", False),
        ("result.headers.content-type", "matches", r"(", False),
        ("result.statusCode", "in", [200, 204], True),
        ("result.statusCode", "in", [500], False),
        ("result.answers.1", "eq", "192.0.2.2", True),
        ("result.answers.9", "exists", None, False),
        ("result.banner", "exists", None, True),
        ("result.banner", "notExists", None, False),
        ("result.nothing.here", "notExists", None, True),
        ("result.body.$.data.ok", "eq", True, True),
        ("result.body.$.data.count", "gte", 3, True),
        ("result.body.$.data.tags", "contains", "b", True),
        ("result.body.$.data.tags[*]", "eq", ["a", "b"], True),
        ("result.body.$.data.name", "matches", "^check", True),
        ("result.body.$.data.missing", "exists", None, False),
        ("result.body.$[[[", "exists", None, False),
        ("result.body", "contains", '"ok": true', True),
    ],
)
def test_operator_table(source, operator, value, passed):
    # given RESULT and BODY; when the assertion is evaluated
    outcome = check(source, operator, value)

    # then
    assert outcome["passed"] is passed
    assert (outcome["source"], outcome["operator"], outcome["value"]) == (source, operator, value)


def test_the_outcome_reports_the_actual_value():
    assert check("result.body.$.data.count", "eq", 4)["actual"] == 3
    assert check("latencyMs", "lt", 1)["actual"] == 120.5


def test_a_non_json_body_fails_a_jsonpath_assertion_with_no_actual():
    outcome = check("result.body.$.data.ok", "eq", True, body="<html>")

    assert outcome == {
        "source": "result.body.$.data.ok",
        "operator": "eq",
        "value": True,
        "actual": None,
        "passed": False,
    }


def test_body_assertions_without_a_body_fail():
    assert check("result.body", "contains", "x", body=None)["passed"] is False
    assert check("result.body.$.data", "exists", body=None)["passed"] is False


def test_latency_of_a_failed_probe_does_not_exist():
    [outcome] = evaluate_assertions(
        [{"source": "latencyMs", "operator": "notExists"}], status="unhealthy", latency_ms=None, result={}
    )

    assert outcome["passed"] is True


def test_all_assertions_are_evaluated_even_after_a_failure():
    # given three assertions, the first failing
    assertions = [
        {"source": "result.statusCode", "operator": "eq", "value": 500},
        {"source": "status", "operator": "eq", "value": "healthy"},
        {"source": "unknown", "operator": "exists"},
    ]

    # when
    outcomes = evaluate_assertions(assertions, status="healthy", latency_ms=1.0, result=RESULT)

    # then
    assert [o["passed"] for o in outcomes] == [False, True, False]


def test_unknown_operator_fails_rather_than_raises():
    assert check("status", "approximately", "healthy")["passed"] is False


@pytest.mark.parametrize("pattern", ["(a+)+$", r"(\w*)*x", "(x+x+)+y", "a" * (MAX_PATTERN_LENGTH + 1)])
def test_catastrophic_or_oversized_patterns_are_refused(pattern):
    # given an input that would make a backtracking pattern explode
    [outcome] = evaluate_assertions(
        [{"source": "result.text", "operator": "matches", "value": pattern}],
        status="healthy",
        latency_ms=1.0,
        result={"text": "a" * 5000 + "!"},
    )

    # then the assertion fails (quickly) instead of hanging the probe
    assert outcome["passed"] is False


def test_long_actual_strings_are_truncated_in_the_outcome():
    long_body = "x" * 100_000

    outcome = check("result.body", "eq", "y", body=long_body)

    assert len(outcome["actual"]) == 1024


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
operators = st.sampled_from([*get_args(AssertionOperator), "bogus"])
sources = st.sampled_from(
    [
        "status",
        "latencyMs",
        "result.a",
        "result.a.b",
        "result.a.0",
        "result.body",
        "result.body.$.a",
        "result.body.$..b",
        "result.body.$[0]",
    ]
)
finite_numbers = st.integers(-(10**9), 10**9) | st.floats(allow_nan=False, allow_infinity=False)


@given(
    result=json_values,
    body=st.none() | st.text(max_size=50) | json_values.map(json.dumps),
    source=sources,
    operator=operators,
    value=json_values,
)
def test_evaluation_never_raises_and_always_answers_a_boolean(result, body, source, operator, value):
    outcomes = evaluate_assertions(
        [{"source": source, "operator": operator, "value": value}],
        status="healthy",
        latency_ms=10.0,
        result={"a": result},
        body=body,
    )

    assert isinstance(outcomes[0]["passed"], bool)
    json.dumps(outcomes)


@given(actual=json_values, expected=json_values)
def test_eq_and_ne_are_complementary(actual, expected):
    equal, not_equal = (
        check_on({"x": actual}, "result.x", operator, expected)["passed"] for operator in ("eq", "ne")
    )

    assert equal is not not_equal


@given(actual=finite_numbers, expected=finite_numbers)
def test_lt_and_gte_are_complementary_on_numbers(actual, expected):
    less = check_on({"x": actual}, "result.x", "lt", expected)["passed"]
    greater_or_equal = check_on({"x": actual}, "result.x", "gte", expected)["passed"]

    assert less is not greater_or_equal
    assert less is (actual < expected)


@given(actual=finite_numbers)
def test_lte_and_gte_both_hold_for_equal_numbers(actual):
    assert check_on({"x": actual}, "result.x", "lte", actual)["passed"]
    assert check_on({"x": actual}, "result.x", "gte", actual)["passed"]


@given(actual=json_values)
def test_exists_and_not_exists_are_complementary(actual):
    exists = check_on({"x": actual}, "result.x", "exists", None)["passed"]
    not_exists = check_on({"x": actual}, "result.x", "notExists", None)["passed"]

    assert exists is True
    assert not_exists is False


def check_on(result: dict, source: str, operator: str, value) -> dict:
    [outcome] = evaluate_assertions(
        [{"source": source, "operator": operator, "value": value}],
        status="healthy",
        latency_ms=1.0,
        result=result,
    )
    return outcome
