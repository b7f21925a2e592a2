"""Bad input gets API.md's error shape and changes nothing (ARCHITECTURE.md invariant 8)."""

import json

import pytest

from tests.integration.api.stack import add_configuration, add_system, configuration_body, store_items

LEAKS = (
    "Traceback",
    'File "',
    "botocore",
    "ClientError",
    "ConditionalCheckFailed",
    "An error occurred",
    "pydantic",
    "errors.pydantic.dev",
    "input_value",
)


def assert_error_shape(answer, status, code):
    assert answer.status == status, answer.body
    assert answer.headers.get("Content-Type", "").startswith("application/json")
    assert set(answer.body) == {"error"}
    assert answer.body["error"]["code"] == code
    assert isinstance(answer.body["error"]["message"], str) and answer.body["error"]["message"]
    assert isinstance(answer.body["error"]["details"], list)
    text = json.dumps(answer.body)
    assert not [leak for leak in LEAKS if leak in text], text


@pytest.fixture
def seeded(stack):
    add_system(stack, "shop")
    add_configuration(stack, "web")
    return stack


@pytest.mark.parametrize(
    "method, path",
    [
        ("POST", "/systems"),
        ("PATCH", "/systems/shop"),
        ("POST", "/configurations"),
        ("PUT", "/systems/shop/checks/web"),
        ("POST", "/health/batch"),
        ("POST", "/api-keys"),
        ("POST", "/systems/shop/maintenances"),
    ],
)
def test_body_that_is_not_json_is_a_bad_request(seeded, method, path):
    # given
    before = store_items()
    # when
    answer = seeded.call(method, path, raw_body=b'{"name": "Shop",')
    # then
    assert_error_shape(answer, 400, "BAD_REQUEST")
    assert store_items() == before


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_body_of_another_content_type_is_a_bad_request(seeded, content_type):
    # given
    before = store_items()
    # when
    answer = seeded.call(
        "POST", "/systems", raw_body=b'{"id": "blog", "name": "Blog"}', headers={"content-type": content_type}
    )
    # then
    assert_error_shape(answer, 400, "BAD_REQUEST")
    assert store_items() == before


def test_json_content_type_with_charset_is_accepted(stack):
    # given / when
    answer = stack.call(
        "POST",
        "/systems",
        raw_body=b'{"id": "blog", "name": "Blog"}',
        headers={"content-type": "application/json; charset=utf-8"},
    )
    # then
    assert answer.status == 201, answer.body


@pytest.mark.parametrize("body", [None, [], "shop", 3])
def test_body_that_is_not_an_object_is_refused(seeded, body):
    # given
    before = store_items()
    # when
    answer = seeded.call("POST", "/systems", raw_body=json.dumps(body).encode() if body is not None else b"")
    # then
    assert answer.status in (400, 422), answer.body
    assert answer.error_code in ("BAD_REQUEST", "VALIDATION_FAILED")
    assert store_items() == before


def test_wrong_types_are_reported_per_field(seeded):
    # given
    before = store_items()
    # when
    answer = seeded.call(
        "POST",
        "/configurations",
        configuration_body("api", intervalSeconds="often", timeoutSeconds=[1], name=7),
    )
    # then
    assert_error_shape(answer, 422, "VALIDATION_FAILED")
    fields = {d["field"] for d in answer.body["error"]["details"]}
    assert {"body.intervalSeconds", "body.timeoutSeconds", "body.name"} <= fields
    assert all(d["message"] for d in answer.body["error"]["details"])
    assert store_items() == before


def test_unknown_fields_are_reported_per_field(seeded):
    # given
    before = store_items()
    # when
    answer = seeded.call("POST", "/systems", {"id": "blog", "name": "Blog", "colour": "red"})
    # then
    assert_error_shape(answer, 422, "VALIDATION_FAILED")
    assert [d["field"] for d in answer.body["error"]["details"]] == ["body.colour"]
    assert store_items() == before


def test_missing_required_field_is_reported(seeded):
    # given / when
    answer = seeded.call("POST", "/systems", {"id": "blog"})
    # then
    assert_error_shape(answer, 422, "VALIDATION_FAILED")
    assert [d["field"] for d in answer.body["error"]["details"]] == ["body.name"]


def test_patch_with_wrong_type_is_refused(seeded):
    # given
    before = store_items()
    # when
    answer = seeded.call("PATCH", "/systems/shop", {"tags": "one,two"})
    # then
    assert_error_shape(answer, 422, "VALIDATION_FAILED")
    assert [d["field"] for d in answer.body["error"]["details"]] == ["body.tags"]
    assert store_items() == before


@pytest.mark.parametrize("bad_id", ["Shop", "-shop", "shop_1", "a" * 64, "shop.com"])
def test_id_that_breaks_the_pattern_in_a_body_is_refused(seeded, bad_id):
    # given
    before = store_items()
    # when
    answer = seeded.call("POST", "/systems", {"id": bad_id, "name": "Bad"})
    # then
    assert_error_shape(answer, 422, "VALIDATION_FAILED")
    assert [d["field"] for d in answer.body["error"]["details"]] == ["body.id"]
    assert store_items() == before


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/systems/Shop"),
        ("PATCH", "/systems/SHOP"),
        ("DELETE", "/systems/shop_1"),
        ("GET", "/configurations/-web"),
        ("PUT", "/systems/shop/checks/Web"),
        ("GET", "/systems/Shop/health"),
    ],
)
def test_id_that_breaks_the_pattern_in_a_path_is_refused(seeded, method, path):
    # given
    before = store_items()
    # when
    answer = seeded.call(method, path, {} if method in ("PATCH", "PUT") else None)
    # then
    assert_error_shape(answer, 422, "VALIDATION_FAILED")
    assert [d["field"].split(".")[0] for d in answer.body["error"]["details"]] == ["path"]
    assert store_items() == before


def test_body_over_256_kib_is_too_large(seeded):
    # given
    before = store_items()
    body = json.dumps({"id": "blog", "name": "Blog", "description": "x" * (256 * 1024)}).encode()
    # when
    answer = seeded.call("POST", "/systems", raw_body=body)
    # then
    assert_error_shape(answer, 413, "PAYLOAD_TOO_LARGE")
    assert store_items() == before


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/nowhere"),
        ("POST", "/systems/shop/nowhere"),
        ("GET", "/systems/shop/checks/web/nowhere"),
    ],
)
def test_unknown_route_is_not_found_in_the_error_shape(seeded, method, path):
    # given
    before = store_items()
    # when
    answer = seeded.call(method, path)
    # then
    assert_error_shape(answer, 404, "NOT_FOUND")
    assert store_items() == before
