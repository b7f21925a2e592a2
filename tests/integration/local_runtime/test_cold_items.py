"""Items kept on disk by the DynamoDB emulation (local/dynamodb_cold_items.py) answer as if in memory.

Two tables with the same schema take the same calls through moto: one keeps every item in memory,
the other at most two (the rest go to disk between calls, as the emulation's server does). Every
answer must be the same, and so must the tables' contents at the end.
"""

from __future__ import annotations

import time

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from local.dynamodb_cold_items import install_cold_items, uninstall_cold_items
from local.dynamodb_fidelity import (
    dynamodb_backend,
    install_item_level_transactions,
    install_partition_queries,
    sweep_expired_items,
)

REGION = "us-east-1"
TABLES = ("plain", "cold")
NOW = time.time()

PARTITIONS = st.sampled_from(["RUNS#a", "RUNS#b", "SYSTEM#a"])
SORT_KEYS = st.sampled_from(["2026-01-01#1", "2026-01-01#2", "2026-01-02#1", "CHECK#x", "VIEW"])
ATTRIBUTES = st.fixed_dictionaries(
    {"status": st.sampled_from([{"S": "healthy"}, {"S": "unhealthy"}])},
    optional={
        "latencyMs": st.builds(lambda n: {"N": str(n)}, st.integers(0, 500)),
        "result": st.just({"M": {"statusCode": {"N": "200"}, "tags": {"L": [{"S": "a"}]}}}),
        "gsi1pk": st.sampled_from([{"S": "TYPE#system"}, {"S": "TYPE#config"}]),
        "expiresAt": st.builds(lambda s: {"N": str(int(NOW + s))}, st.sampled_from([-60, 3600])),
    },
)
KEY = st.builds(lambda pk, sk: {"pk": {"S": pk}, "sk": {"S": sk}}, PARTITIONS, SORT_KEYS)

PUT = st.tuples(st.just("put"), KEY, ATTRIBUTES)
UPDATE = st.tuples(st.just("update"), KEY, st.booleans())
DELETE = st.tuples(st.just("delete"), KEY, st.booleans())
GET = st.tuples(st.just("get"), KEY)
QUERY = st.tuples(
    st.just("query"),
    PARTITIONS,
    st.booleans(),
    st.one_of(st.none(), st.integers(1, 4)),
    st.one_of(st.none(), st.just("2026-01-01")),
)
INDEX_QUERY = st.tuples(st.just("index"), st.sampled_from(["TYPE#system", "TYPE#config"]))
TRANSACTION = st.tuples(st.just("transact"), KEY, KEY, st.booleans())
SCAN = st.tuples(st.just("scan"))
SWEEP = st.tuples(st.just("sweep"))
OPERATIONS = st.lists(
    st.one_of(PUT, UPDATE, DELETE, GET, QUERY, INDEX_QUERY, TRANSACTION, SCAN, SWEEP),
    min_size=5,
    max_size=30,
)


@pytest.fixture(scope="module")
def client():
    with mock_aws():
        install_item_level_transactions()
        install_partition_queries()
        client = boto3.client("dynamodb", region_name=REGION)
        tier = None
        for table in TABLES:
            if table == "cold":
                tier = install_cold_items(hot_items=2)
            client.create_table(
                TableName=table,
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[
                    {"AttributeName": k, "AttributeType": "S"} for k in ("pk", "sk", "gsi1pk")
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
            )
            client.update_time_to_live(
                TableName=table, TimeToLiveSpecification={"AttributeName": "expiresAt", "Enabled": True}
            )
        client.tier = tier
        try:
            yield client
        finally:
            uninstall_cold_items()


def _call(client, table: str, operation: tuple) -> object:
    kind = operation[0]
    try:
        if kind == "put":
            _, key, attributes = operation
            return client.put_item(TableName=table, Item={**attributes, **key}, ReturnValues="ALL_OLD")
        if kind == "update":
            _, key, must_exist = operation
            condition = {"ConditionExpression": "attribute_exists(pk)"} if must_exist else {}
            return client.update_item(
                TableName=table,
                Key=key,
                UpdateExpression="ADD runs :one SET lastStatus = :status",
                ExpressionAttributeValues={":one": {"N": "1"}, ":status": {"S": "healthy"}},
                ReturnValues="ALL_NEW",
                **condition,
            )
        if kind == "delete":
            _, key, must_exist = operation
            condition = {"ConditionExpression": "attribute_exists(pk)"} if must_exist else {}
            return client.delete_item(TableName=table, Key=key, ReturnValues="ALL_OLD", **condition)
        if kind == "get":
            return client.get_item(TableName=table, Key=operation[1], ConsistentRead=True)
        if kind == "query":
            _, partition, forward, limit, prefix = operation
            values = {":pk": {"S": partition}}
            condition = "pk = :pk"
            if prefix:
                condition += " AND begins_with(sk, :prefix)"
                values[":prefix"] = {"S": prefix}
            return client.query(
                TableName=table,
                KeyConditionExpression=condition,
                ExpressionAttributeValues=values,
                ScanIndexForward=forward,
                **({"Limit": limit} if limit else {}),
            )
        if kind == "index":
            return client.query(
                TableName=table,
                IndexName="ByType",
                KeyConditionExpression="gsi1pk = :type",
                ExpressionAttributeValues={":type": {"S": operation[1]}},
            )
        if kind == "transact":
            _, first, second, must_exist = operation
            check = "attribute_exists(pk)" if must_exist else "attribute_not_exists(nothing)"
            return client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": table, "Item": {**first, "status": {"S": "healthy"}}}},
                    {
                        "Update": {
                            "TableName": table,
                            "Key": second,
                            "UpdateExpression": "ADD runs :one",
                            "ConditionExpression": check,
                            "ExpressionAttributeValues": {":one": {"N": "1"}},
                        }
                    },
                ]
                if first != second
                else [{"Put": {"TableName": table, "Item": {**first, "status": {"S": "x"}}}}]
            )
        if kind == "scan":
            found = client.scan(TableName=table)["Items"]
            return sorted(found, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))
    except ClientError as error:
        return error.response["Error"]["Code"]
    raise AssertionError(kind)


def _answer(response: object) -> object:
    if isinstance(response, dict):
        return {
            name: value
            for name, value in response.items()
            if name not in ("ResponseMetadata", "ConsumedCapacity")
        }
    return response


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
def test_a_table_with_items_on_disk_answers_as_one_in_memory(client, operations):
    for table in TABLES:
        for item in client.scan(TableName=table)["Items"]:
            client.delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})
    for operation in operations:
        if operation[0] == "sweep":  # both tables at once, by one clock
            sweep_expired_items(dynamodb_backend(REGION), now=NOW)
            operation = ("scan",)
        answers = [_answer(_call(client, table, operation)) for table in TABLES]
        client.tier.move_out_least_used()
        assert answers[0] == answers[1], operation
    contents = [_call(client, table, ("scan",)) for table in TABLES]
    assert contents[0] == contents[1]


def test_items_beyond_the_bound_wait_on_disk_and_come_back_when_touched(client):
    for n in range(10):
        client.put_item(TableName="cold", Item={"pk": {"S": "RUNS#z"}, "sk": {"S": f"{n:02}"}})
        client.tier.move_out_least_used()
    counts = client.tier.counts()
    assert counts["hot"] <= 2 and counts["cold"] >= 8

    client.update_item(
        TableName="cold",
        Key={"pk": {"S": "RUNS#z"}, "sk": {"S": "00"}},
        UpdateExpression="SET touched = :yes",
        ExpressionAttributeValues={":yes": {"BOOL": True}},
    )
    client.tier.move_out_least_used()
    item = client.get_item(TableName="cold", Key={"pk": {"S": "RUNS#z"}, "sk": {"S": "00"}})["Item"]
    assert item["touched"] == {"BOOL": True}
    queried = client.query(
        TableName="cold",
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "RUNS#z"}},
    )["Items"]
    assert [found["sk"]["S"] for found in queried] == [f"{n:02}" for n in range(10)]


def test_items_that_carry_an_index_key_stay_in_memory(client):
    for n in range(6):
        client.put_item(
            TableName="cold",
            Item={"pk": {"S": "CONFIG"}, "sk": {"S": f"c{n}"}, "gsi1pk": {"S": "TYPE#pinned"}},
        )
        client.tier.move_out_least_used()
    partitions = dynamodb_backend(REGION).tables["cold"].items
    partition = next(found for key, found in partitions.items() if key.value == "CONFIG")
    assert partition.cold == 0 and len(partition) == 6
