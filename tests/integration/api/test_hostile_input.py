"""Malformed input of every kind is a 400/405/422 in API.md's shape, logged once without a stack
trace, and changes nothing (ARCHITECTURE.md invariant 8)."""

import json
import logging

import pytest

from shared.observability import logger
from tests.integration.api.stack import add_configuration, add_system, configuration_body, store_items
from tests.integration.api.test_bad_input import assert_error_shape

JSON_ROUTES = [
    ("POST", "/systems"),
    ("PATCH", "/systems/shop"),
    ("POST", "/configurations"),
    ("PATCH", "/configurations/web"),
    ("PUT", "/systems/shop/checks/web"),
    ("POST", "/health/batch"),
    ("POST", "/api-keys"),
    ("POST", "/satellites"),
    ("POST", "/systems/shop/maintenances"),
]


def nested(depth: int) -> bytes:
    return b'{"name": ' + b"[" * depth + b"1" + b"]" * depth + b"}"


MALFORMED_BODIES = {
    "not utf-8": b'{"name": "\xb2\xff"}',
    "33 levels": nested(33),
    "100k levels": nested(100_000),
    "NaN": b'{"name": NaN}',
    "Infinity": b'{"name": -Infinity}',
    "39 digits": b'{"name": 123456789012345678901234567890123456789}',
    "out of range": b'{"name": 1e200}',
    "too small": b'{"name": 1e-200}',
}


@pytest.fixture
def seeded(stack):
    add_system(stack, "shop")
    add_configuration(stack, "web")
    return stack


class Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def info_logs():
    """Every record the functions log at INFO and above while the test runs."""
    records = Records()
    logger.setLevel("INFO")
    logger.addHandler(records)
    yield records
    logger.removeHandler(records)
    logger.setLevel("WARNING")


@pytest.mark.parametrize("method, path", JSON_ROUTES)
@pytest.mark.parametrize("kind", sorted(MALFORMED_BODIES))
def test_malformed_body_is_a_bad_request_that_changes_nothing(seeded, info_logs, method, path, kind):
    # given
    before = store_items()
    info_logs.records.clear()
    # when
    answer = seeded.call(method, path, raw_body=MALFORMED_BODIES[kind])
    # then
    assert_error_shape(answer, 400, "BAD_REQUEST")
    assert store_items() == before
    assert [r.getMessage() for r in info_logs.records] == ["request refused"]
    assert [r.exc_info for r in info_logs.records] == [None]


@pytest.mark.parametrize("method, path", JSON_ROUTES)
def test_empty_body_is_a_bad_request(seeded, method, path):
    # when
    answer = seeded.call(method, path, raw_body=b"")
    # then
    assert_error_shape(answer, 400, "BAD_REQUEST")


@pytest.mark.parametrize("value", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
def test_non_finite_assertion_value_is_refused_and_the_list_stays_readable(seeded, value):
    # given
    body = json.dumps(configuration_body("nan")).encode()[:-1]
    body += b', "assertions": [{"source": "latencyMs", "operator": "lt", "value": ' + value + b"}]}"
    # when
    answer = seeded.call("POST", "/configurations", raw_body=body)
    # then
    assert_error_shape(answer, 400, "BAD_REQUEST")
    listed = seeded.call("GET", "/configurations")
    assert listed.status == 200
    assert [c["id"] for c in listed.body["items"]] == ["web"]


@pytest.mark.parametrize("version", ["\xb2", "1" * 5000, "-1", "1.0", "abc", 'W/""'])
def test_if_match_that_is_not_a_version_is_a_bad_request(seeded, version):
    # given
    before = store_items()
    # when
    answer = seeded.call("PATCH", "/systems/shop", {"name": "Renamed"}, headers={"If-Match": version})
    # then
    assert_error_shape(answer, 400, "BAD_REQUEST")
    assert answer.body["error"]["details"][0]["field"] == "header.If-Match"
    assert store_items() == before


@pytest.mark.parametrize(
    "method, path, allowed",
    [
        ("TRACE", "/systems", "GET, POST"),
        ("DELETE", "/strategies", "GET"),
        ("PUT", "/systems/shop", "DELETE, GET, PATCH"),
        ("GET", "/satellite/results", "POST"),
        ("HEAD", "/configurations/web/pause", "POST"),
    ],
)
def test_wrong_method_is_method_not_allowed_in_the_error_shape(seeded, method, path, allowed):
    # given
    before = store_items()
    # when
    answer = seeded.call(method, path, key=None)
    # then
    assert_error_shape(answer, 405, "METHOD_NOT_ALLOWED")
    assert answer.headers["Allow"] == allowed
    assert store_items() == before


def test_interval_of_ten_seconds_without_timeout_gets_a_timeout_that_fits(stack):
    # when
    answer = stack.call("POST", "/configurations", configuration_body("fast", intervalSeconds=10))
    # then
    assert answer.status == 201, answer.body
    assert (answer.body["intervalSeconds"], answer.body["timeoutSeconds"]) == (10, 9)


def test_timeout_not_below_interval_names_the_field(stack):
    # when
    answer = stack.call(
        "POST", "/configurations", configuration_body("slow", intervalSeconds=30, timeoutSeconds=30)
    )
    # then
    assert_error_shape(answer, 422, "VALIDATION_FAILED")
    assert [d["field"] for d in answer.body["error"]["details"]] == ["body.timeoutSeconds"]


@pytest.mark.parametrize(
    "assertion, field",
    [
        ({"source": "result.body", "operator": "matches", "value": "(a)\\1"}, "body.assertions.0.value"),
        ({"source": "result.body.$[?(@.a =~ 'x')]", "operator": "exists"}, "body.assertions.0.source"),
    ],
)
def test_assertion_that_cannot_be_evaluated_safely_is_refused_naming_its_field(stack, assertion, field):
    # given
    before = store_items()
    # when
    answer = stack.call("POST", "/configurations", configuration_body("unsafe", assertions=[assertion]))
    # then
    assert_error_shape(answer, 422, "VALIDATION_FAILED")
    assert [d["field"] for d in answer.body["error"]["details"]] == [field]
    assert store_items() == before
