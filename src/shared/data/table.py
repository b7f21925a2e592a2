"""Low-level access to the single table: item (de)serialisation, pagination cursors and the
translation of `ClientError` into domain errors, by error code only."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from shared.domain.errors import BadRequestError, ThrottledError, UnavailableError

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

THROTTLING_CODES = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TransactionInProgressException",
}
UNAVAILABLE_CODES = {"InternalServerError", "ServiceUnavailable", "ResourceNotFoundException"}


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    if isinstance(value, set):
        return sorted(_from_dynamo(v) for v in value)
    return value


def serialize(attributes: dict[str, Any]) -> dict[str, dict]:
    """Plain Python values -> DynamoDB attribute values (floats as Decimals)."""
    return {k: _serializer.serialize(_to_dynamo(v)) for k, v in attributes.items()}


def deserialize(item: dict[str, dict]) -> dict[str, Any]:
    return {k: _from_dynamo(_deserializer.deserialize(v)) for k, v in item.items()}


def encode_cursor(last_evaluated_key: dict | None) -> str | None:
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def invalid_cursor() -> BadRequestError:
    return BadRequestError(
        "cursor is not valid for this list", [{"field": "query.cursor", "message": "invalid cursor"}]
    )


def decode_cursor(
    cursor: str | None,
    *,
    partition_attribute: str,
    expected_partition: str,
    key_attributes: frozenset[str] | None = None,
) -> dict | None:
    """A cursor is the last evaluated key; it must belong to the partition being paged and carry
    exactly the string key attributes of the table or index read (DynamoDB refuses anything else)."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if key[partition_attribute]["S"] != expected_partition:
            raise ValueError("cursor of another list")
        if not all(isinstance(v, dict) and len(v) == 1 for v in key.values()):
            raise ValueError("malformed key")
        strings = all(isinstance(v.get("S"), str) and v["S"] for v in key.values())
        if key_attributes is not None and (set(key) != key_attributes or not strings):
            raise ValueError("not a key of this table")
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise invalid_cursor() from error
    return key


def plain_key(key: dict) -> dict[str, str]:
    """A typed key (`{"pk": {"S": ...}}`) as the plain attributes an item carries."""
    return {k: v["S"] for k, v in key.items()}


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def cancellation_reasons(error: ClientError) -> list[str]:
    return [reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])]


@contextmanager
def translated_errors() -> Iterator[None]:
    """Map store failures that no caller handles to domain errors: `ClientError`s by code (after
    botocore's own retries), connection failures and timeouts to UnavailableError."""
    try:
        yield
    except (ConnectionError, HTTPClientError) as error:
        raise UnavailableError("the store is unavailable") from error
    except ClientError as error:
        code = error_code(error)
        if code in THROTTLING_CODES or "ThrottlingError" in cancellation_reasons(error):
            raise ThrottledError("the store is busy; retry later") from error
        if code in UNAVAILABLE_CODES:
            raise UnavailableError("the store is unavailable") from error
        raise


# --- operations of a TransactWriteItems --------------------------------------------------


def put_op(item: dict, condition: str | None = None, values: dict | None = None) -> dict:
    """A Put of a transaction."""
    body: dict[str, Any] = {"Item": serialize(item)}
    if condition:
        body["ConditionExpression"] = condition
    if values:
        body["ExpressionAttributeValues"] = serialize(values)
    return {"Put": body}


def delete_op(key: dict, condition: str | None = None) -> dict:
    """A Delete of a transaction."""
    body: dict[str, Any] = {"Key": key}
    if condition:
        body["ConditionExpression"] = condition
    return {"Delete": body}


def check_op(key: dict, condition: str, values: dict | None = None) -> dict:
    """A ConditionCheck of a transaction."""
    body: dict[str, Any] = {"Key": key, "ConditionExpression": condition}
    if values:
        body["ExpressionAttributeValues"] = serialize(values)
    return {"ConditionCheck": body}


def update_op(key: dict, expression: str, values: dict, names: dict | None = None) -> dict:
    """An Update of a transaction."""
    body: dict[str, Any] = {
        "Key": key,
        "UpdateExpression": expression,
        "ExpressionAttributeValues": serialize(values),
    }
    if names:
        body["ExpressionAttributeNames"] = names
    return {"Update": body}
