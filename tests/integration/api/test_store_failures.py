"""When the store fails, answers keep API.md's error shape and say nothing of AWS or the code."""

import json

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from shared import aws
from shared.services import context
from tests.integration.api.stack import add_system

AWS_TEXT = "An error occurred (ThrottlingException) arn:aws:dynamodb:us-east-1:123456789012:table/secret"


def failing(code):
    def call(*_, **__):
        raise ClientError({"Error": {"Code": code, "Message": AWS_TEXT}}, "GetItem")

    return call


@pytest.mark.parametrize(
    "code, status, error_code",
    [
        ("ProvisionedThroughputExceededException", 429, "THROTTLED"),
        ("ThrottlingException", 429, "THROTTLED"),
        ("ServiceUnavailable", 503, "UNAVAILABLE"),
        ("ResourceNotFoundException", 503, "UNAVAILABLE"),
        ("AccessDeniedException", 500, "INTERNAL"),
        ("ValidationException", 500, "INTERNAL"),
    ],
)
def test_store_failure_is_mapped_by_code_without_leaking(stack, monkeypatch, code, status, error_code):
    # given
    add_system(stack, "shop")
    monkeypatch.setattr(aws.dynamodb(), "get_item", failing(code))
    # when
    answer = stack.call("GET", "/systems/shop")
    # then
    assert answer.status == status, answer.body
    assert answer.error_code == error_code
    text = json.dumps(answer.body)
    assert "An error occurred" not in text
    assert "arn:aws" not in text
    assert code not in text
    assert "Traceback" not in text
    if status == 429:
        assert answer.headers.get("Retry-After") == "1"


def test_unexpected_exception_is_a_fixed_500(stack, monkeypatch):
    # given
    add_system(stack, "shop")

    def explode(*_, **__):
        raise RuntimeError("/work/main/src/shared/secret.py line 12: password=hunter2")

    monkeypatch.setattr(context.default_collaborators().repository, "get_system", explode)
    # when
    answer = stack.call("GET", "/systems/shop")
    # then
    assert answer.status == 500
    assert answer.body == {"error": {"code": "INTERNAL", "message": "internal error", "details": []}}


def test_store_connection_failure_is_503_unavailable(stack, monkeypatch):
    # given
    add_system(stack, "shop")

    def unreachable(*_, **__):
        raise EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")

    monkeypatch.setattr(aws.dynamodb(), "get_item", unreachable)
    # when
    answer = stack.call("GET", "/systems/shop")
    # then
    assert answer.status == 503, answer.body
    assert answer.error_code == "UNAVAILABLE"
    assert "amazonaws" not in json.dumps(answer.body)
