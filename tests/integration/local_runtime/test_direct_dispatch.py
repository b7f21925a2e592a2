"""DynamoDB calls answered by moto's handler directly (local.dynamodb_dispatch) read exactly as the
answers moto's Flask application gives: same status, headers and body, errors included."""

import binascii
import contextlib
import json

import boto3
import pytest
from botocore.exceptions import ClientError

from local.aws_server import EmulationProcess

TABLE = "dispatch"
# Different in every answer, or in every table moto creates (a table's creation time, so the length
# too); everything else must be identical.
PER_ANSWER_HEADERS = {"date", "x-amzn-requestid", "x-amz-crc32", "content-length"}
PER_TABLE_FIELDS = {"CreationDateTime", "TableId"}


@pytest.fixture(scope="module")
def answers_by_path() -> dict[bool, list]:
    answers = {}
    for direct in (False, True):
        process = EmulationProcess.start("us-east-1", name=f"aws-dispatch-{direct}", lean=direct)
        try:
            answers[direct] = _answers_to_calls(process.endpoint_url)
        finally:
            process.stop()
    return answers


def _answers_to_calls(endpoint_url: str) -> list[tuple[str, object]]:
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    raw: list = []
    client.meta.events.register("after-call", lambda http_response, **_: raw.append(http_response))
    answers = []
    for name, call in _calls(client):
        with contextlib.suppress(ClientError):
            call()
        answers.append((name, raw.pop()))
    return answers


def _key(pk: str, sk: str = "A") -> dict:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _calls(client) -> list:
    exists_not = "attribute_not_exists(pk)"
    return [
        (
            "CreateTable",
            lambda: client.create_table(
                TableName=TABLE,
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[
                    {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "gsi1pk")
                ],
                KeySchema=[
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                GlobalSecondaryIndexes=[
                    {
                        "IndexName": "ByType",
                        "KeySchema": [
                            {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                            {"AttributeName": "sk", "KeyType": "RANGE"},
                        ],
                        "Projection": {"ProjectionType": "ALL"},
                    }
                ],
            ),
        ),
        ("DescribeTable", lambda: client.describe_table(TableName=TABLE)),
        (
            "PutItem",
            lambda: client.put_item(
                TableName=TABLE,
                Item={**_key("p"), "gsi1pk": {"S": "T"}, "tagz": {"SS": ["first"]}, "mz": {"M": {}}},
            ),
        ),
        (
            "ConditionalCheckFailedException",
            lambda: client.put_item(TableName=TABLE, Item=_key("p"), ConditionExpression=exists_not),
        ),
        ("ResourceNotFoundException", lambda: client.get_item(TableName="absent", Key=_key("p"))),
        (
            "UpdateItem",
            lambda: client.update_item(
                TableName=TABLE,
                Key=_key("p"),
                UpdateExpression="ADD n :one SET label = :label",
                ExpressionAttributeValues={":one": {"N": "1"}, ":label": {"S": "é ünïcode"}},
                ReturnValues="ALL_NEW",
            ),
        ),
        *[
            (
                f"UpdateItem of a set, {returned}",
                lambda returned=returned: client.update_item(
                    TableName=TABLE,
                    Key=_key("p"),
                    UpdateExpression="ADD tagz :tag SET mz.dz = :n",
                    ExpressionAttributeValues={":tag": {"SS": [returned]}, ":n": {"N": "1"}},
                    ReturnValues=returned,
                ),
            )
            for returned in ("ALL_OLD", "UPDATED_OLD", "UPDATED_NEW")
        ],
        (
            "TransactWriteItems",
            lambda: client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": TABLE, "Item": _key("q"), "ConditionExpression": exists_not}},
                    {
                        "Update": {
                            "TableName": TABLE,
                            "Key": _key("p"),
                            "UpdateExpression": "ADD n :one",
                            "ExpressionAttributeValues": {":one": {"N": "1"}},
                        }
                    },
                ]
            ),
        ),
        (
            "TransactionCanceledException",
            lambda: client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": TABLE, "Item": _key("r"), "ConditionExpression": exists_not}},
                    {"Put": {"TableName": TABLE, "Item": _key("q"), "ConditionExpression": exists_not}},
                ]
            ),
        ),
        (
            "Query",
            lambda: client.query(
                TableName=TABLE,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": "p"}},
            ),
        ),
        (
            "Query of an index",
            lambda: client.query(
                TableName=TABLE,
                IndexName="ByType",
                KeyConditionExpression="gsi1pk = :t",
                ExpressionAttributeValues={":t": {"S": "T"}},
            ),
        ),
        (
            "ValidationException",
            lambda: client.query(
                TableName=TABLE,
                KeyConditionExpression="other = :pk",
                ExpressionAttributeValues={":pk": {"S": "p"}},
            ),
        ),
        (
            "BatchGetItem",
            lambda: client.batch_get_item(
                RequestItems={TABLE: {"Keys": [_key("p"), _key("q"), _key("missing")]}}
            ),
        ),
        (
            "TransactGetItems",
            lambda: client.transact_get_items(
                TransactItems=[{"Get": {"TableName": TABLE, "Key": _key("q")}}]
            ),
        ),
        *_repeated_expressions(client),
        ("DeleteItem", lambda: client.delete_item(TableName=TABLE, Key=_key("q"), ReturnValues="ALL_OLD")),
        ("Scan", lambda: client.scan(TableName=TABLE)),
        ("ListTables", lambda: client.list_tables()),
    ]


def _repeated_expressions(client) -> list:
    """Expressions sent twice: a parse kept from the first call must answer the second alike."""

    def conditional_update(version: str, names: dict) -> None:
        client.update_item(
            TableName=TABLE,
            Key=_key("p"),
            UpdateExpression="SET #v = :next ADD n :one",
            ConditionExpression="#v = :v OR attribute_not_exists(#v)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={":v": {"N": version}, ":next": {"N": "2"}, ":one": {"N": "1"}},
        )

    def bad_update() -> None:
        client.update_item(TableName=TABLE, Key=_key("p"), UpdateExpression="SET = :x ADD")

    def bad_condition() -> None:
        client.put_item(
            TableName=TABLE,
            Item=_key("s"),
            ConditionExpression="attribute_not_exists(#k)",
            ExpressionAttributeNames={"#k": "pk", "#unused": "other"},
        )

    version = {"#v": "version"}
    unused = {"#v": "version", "#unused": "other"}
    return [
        ("conditional update", lambda: conditional_update("1", version)),
        ("the same, now failing", lambda: conditional_update("1", version)),
        ("the same, an unused name", lambda: conditional_update("2", unused)),
        ("again, an unused name", lambda: conditional_update("2", unused)),
        ("a bad update expression", bad_update),
        ("the same bad update expression", bad_update),
        ("a condition with an unused name", bad_condition),
        ("the same again", bad_condition),
    ]


def _comparable(response) -> tuple:
    headers = {name.lower(): value for name, value in response.headers.items()}
    body = json.loads(response.content)
    return (
        response.status_code,
        {name: value for name, value in headers.items() if name not in PER_ANSWER_HEADERS},
        _without_per_table_fields(body),
    )


def _without_per_table_fields(value):
    if isinstance(value, dict):
        return {k: _without_per_table_fields(v) for k, v in value.items() if k not in PER_TABLE_FIELDS}
    if isinstance(value, list):
        return [_without_per_table_fields(v) for v in value]
    return value


def test_direct_answers_read_as_flask_answers(answers_by_path):
    # given the same calls made through moto's Flask application and through the direct path
    flask_answers, direct_answers = answers_by_path[False], answers_by_path[True]

    # then every answer has the same status, headers (but per-answer ones) and body
    assert [name for name, _ in direct_answers] == [name for name, _ in flask_answers]
    for (name, flask_response), (_, direct_response) in zip(flask_answers, direct_answers, strict=True):
        assert _comparable(direct_response) == _comparable(flask_response), name


def test_direct_answers_carry_a_valid_crc32_and_length(answers_by_path):
    for name, response in answers_by_path[True]:
        assert response.headers["x-amz-crc32"] == str(binascii.crc32(response.content)), name
        assert response.headers["content-length"] == str(len(response.content)), name


@pytest.mark.parametrize(
    "error",
    [
        "ConditionalCheckFailedException",
        "ResourceNotFoundException",
        "TransactionCanceledException",
        "ValidationException",
    ],
)
def test_direct_errors_name_their_type(answers_by_path, error):
    response = dict(answers_by_path[True])[error]

    body = json.loads(response.content)
    assert response.status_code == 400
    assert body["__type"] == f"com.amazonaws.dynamodb.v20120810#{error}"
    if error == "TransactionCanceledException":
        codes = [reason["Code"] for reason in body["CancellationReasons"]]
        assert codes == ["None", "ConditionalCheckFailed"]
