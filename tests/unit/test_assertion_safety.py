"""No assertion can outlive its check: RE2 matches in linear time, patterns and JSONPath that could
not be evaluated safely are refused when stored, and a spent budget fails the rest unevaluated."""

import time

import pytest
from pydantic import ValidationError

from shared.domain.assertions import MAX_MATCH_INPUT_CHARS, evaluate_assertions
from shared.domain.models import Assertion

# Each of these takes seconds to minutes with Python's backtracking `re` on such bodies.
ADVERSARIAL = [
    ("(a+)+$", "a" * 50_000 + "!"),
    ("(\\w*)*x", "w" * 50_000),
    (".*.*.*.*=x", "=" * MAX_MATCH_INPUT_CHARS),
    (".*error.*timeout", "error " * 20_000),
    ("(a|aa)+b", "a" * 50_000),
]
# A correctness bound with a wide margin (RE2 needs milliseconds here), not a benchmark.
BUDGET_SECONDS = 2.0


@pytest.mark.parametrize("pattern, body", ADVERSARIAL)
def test_adversarial_pattern_on_adversarial_body_ends_within_its_budget(pattern, body):
    # given
    assertion = Assertion(source="result.body", operator="matches", value=pattern).to_wire()
    started = time.monotonic()
    # when
    outcomes = evaluate_assertions(
        [assertion], status="healthy", latency_ms=5, result={}, body=body, budget_seconds=BUDGET_SECONDS
    )
    # then
    assert time.monotonic() - started < BUDGET_SECONDS
    assert outcomes[0]["passed"] is False
    assert "evaluated" not in outcomes[0]


def test_assertions_past_a_spent_budget_fail_unevaluated():
    # given: a clock that jumps past the budget after the first assertion
    ticks = iter([0.0, 0.0, 5.0, 5.0])
    assertions = [
        {"source": "status", "operator": "eq", "value": "healthy"},
        {"source": "latencyMs", "operator": "lt", "value": 100},
    ]
    # when
    outcomes = evaluate_assertions(
        assertions, status="healthy", latency_ms=5, result={}, budget_seconds=1.0, clock=lambda: next(ticks)
    )
    # then
    assert outcomes[0]["passed"] is True
    assert outcomes[1] | {} == {
        "source": "latencyMs",
        "operator": "lt",
        "value": 100,
        "actual": None,
        "passed": False,
        "evaluated": False,
    }


@pytest.mark.parametrize(
    "assertion, field",
    [
        ({"source": "result.body", "operator": "matches", "value": "(a)\\1"}, "value"),
        ({"source": "result.body", "operator": "matches", "value": "(?=lookahead)"}, "value"),
        ({"source": "result.body", "operator": "matches", "value": "x" * 201}, "value"),
        ({"source": "result.body", "operator": "matches", "value": 42}, "value"),
        ({"source": "result.body.$[?(@.name =~ '(a+)+$')]", "operator": "exists"}, "source"),
        ({"source": "result.body.$..a..b..c", "operator": "exists"}, "source"),
        ({"source": "result.body.$.[[[", "operator": "exists"}, "source"),
        ({"source": "latencyMs", "operator": "lt", "value": float("nan")}, "value"),
        (
            {"source": "latencyMs", "operator": "lt", "value": 12345678901234567890123456789012345678901},
            "value",
        ),
    ],
)
def test_unsafe_assertion_is_refused_naming_its_field(assertion, field):
    # when
    with pytest.raises(ValidationError) as refused:
        Assertion.model_validate(assertion)
    # then
    assert [e["loc"] for e in refused.value.errors()] == [(field,)]


@pytest.mark.parametrize(
    "source", ["result.body.$.items[0].name", "result.body.$..name", "result.body.$.items[?(@.up == true)]"]
)
def test_plain_jsonpath_sources_are_accepted(source):
    assert Assertion(source=source, operator="exists").source == source
