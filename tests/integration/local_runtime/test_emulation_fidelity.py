"""The local emulation behaves like DynamoDB and SQS where this workload leans on them."""

import contextlib
import json
import threading
import time

import boto3
import pytest
from botocore.exceptions import ClientError

from local.aws_server import EmulationProcess

TABLE = "fidelity"
THREADS, INCREMENTS = 6, 25


@pytest.fixture(scope="module")
def emulation():
    process = EmulationProcess.start("us-east-1")
    yield process
    process.stop()


def _client(emulation, service: str):
    return boto3.client(
        service,
        endpoint_url=emulation.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


@pytest.fixture(scope="module")
def dynamodb(emulation):
    client = _client(emulation, "dynamodb")
    client.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "gsi1pk", "gsi1sk")
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "ByType",
                "KeySchema": [
                    {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                    {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    client.update_time_to_live(
        TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresAt"}
    )
    return client


def _key(pk: str, sk: str = "A") -> dict:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _increment(pk: str) -> dict:
    return {
        "Update": {
            "TableName": TABLE,
            "Key": _key(pk),
            "UpdateExpression": "ADD n :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }


def test_concurrent_transactions_lose_no_write(dynamodb):
    # given threads that each add one to two shared counters in one transaction, many times over
    errors: list[Exception] = []

    def work() -> None:
        for _ in range(INCREMENTS):
            try:
                dynamodb.transact_write_items(TransactItems=[_increment("left"), _increment("right")])
            except Exception as error:  # the test reports any, not only the expected kind
                errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    # when they all run at once
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    # then every increment is there, on both counters
    assert errors == []
    for pk in ("left", "right"):
        item = dynamodb.get_item(TableName=TABLE, Key=_key(pk))["Item"]
        assert item["n"]["N"] == str(THREADS * INCREMENTS)


def test_a_cancelled_transaction_puts_back_only_the_items_it_touched(dynamodb):
    # given an item the transaction will change, one whose condition fails, and a bystander
    dynamodb.put_item(TableName=TABLE, Item={**_key("touched"), "v": {"S": "before"}})
    dynamodb.put_item(TableName=TABLE, Item={**_key("exists"), "v": {"S": "kept"}})
    dynamodb.put_item(TableName=TABLE, Item={**_key("bystander"), "v": {"S": "one"}})
    # when the transaction writes the first, creates a new one, then fails on the second's condition
    with pytest.raises(ClientError, match="TransactionCanceled"):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": {**_key("touched"), "v": {"S": "after"}}}},
                {"Put": {"TableName": TABLE, "Item": {**_key("created"), "v": {"S": "new"}}}},
                {
                    "Put": {
                        "TableName": TABLE,
                        "Item": {**_key("exists"), "v": {"S": "overwritten"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    dynamodb.put_item(TableName=TABLE, Item={**_key("bystander"), "v": {"S": "two"}})
    # then the touched items are as before, the new one is gone, and the bystander's later write stays
    assert dynamodb.get_item(TableName=TABLE, Key=_key("touched"))["Item"]["v"]["S"] == "before"
    assert "Item" not in dynamodb.get_item(TableName=TABLE, Key=_key("created"))
    assert dynamodb.get_item(TableName=TABLE, Key=_key("exists"))["Item"]["v"]["S"] == "kept"
    assert dynamodb.get_item(TableName=TABLE, Key=_key("bystander"))["Item"]["v"]["S"] == "two"


def test_a_cancelled_transaction_undoes_changes_made_in_place(dynamodb):
    # given an item with a string set and a nested map, which moto's updates change in place
    item = {**_key("in-place"), "tags": {"SS": ["a"]}, "m": {"M": {"n": {"N": "1"}}}, "n": {"N": "1"}}
    dynamodb.put_item(TableName=TABLE, Item=item)
    # when a transaction grows the set, changes the map and the number, then fails on a condition
    with pytest.raises(ClientError, match="TransactionCanceled"):
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": _key("in-place"),
                        "UpdateExpression": "ADD tags :b, n :one SET m.n = :two",
                        "ExpressionAttributeValues": {
                            ":b": {"SS": ["b"]},
                            ":one": {"N": "1"},
                            ":two": {"N": "2"},
                        },
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": _key("in-place-absent"),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    # then the item reads as it was written
    assert dynamodb.get_item(TableName=TABLE, Key=_key("in-place"))["Item"] == item


def _index_members(dynamodb, partition: str) -> list[str]:
    answer = dynamodb.query(
        TableName=TABLE,
        IndexName="ByType",
        KeyConditionExpression="gsi1pk = :p",
        ExpressionAttributeValues={":p": {"S": partition}},
    )
    return [item["pk"]["S"] for item in answer["Items"]]


def test_index_queries_follow_puts_updates_and_deletes(dynamodb):
    # given three items in one index partition
    for name, order in (("a", "1"), ("b", "2"), ("c", "3")):
        dynamodb.put_item(
            TableName=TABLE,
            Item={**_key(f"idx-{name}"), "gsi1pk": {"S": "TYPE#X"}, "gsi1sk": {"S": order}},
        )
    assert _index_members(dynamodb, "TYPE#X") == ["idx-a", "idx-b", "idx-c"]
    # when one moves to another partition by an update, one is deleted, and one is replaced in place
    dynamodb.update_item(
        TableName=TABLE,
        Key=_key("idx-a"),
        UpdateExpression="SET gsi1pk = :p",
        ExpressionAttributeValues={":p": {"S": "TYPE#Y"}},
    )
    dynamodb.delete_item(TableName=TABLE, Key=_key("idx-b"))
    dynamodb.put_item(
        TableName=TABLE, Item={**_key("idx-c"), "gsi1pk": {"S": "TYPE#X"}, "gsi1sk": {"S": "0"}}
    )
    # then each partition lists exactly its items
    assert _index_members(dynamodb, "TYPE#X") == ["idx-c"]
    assert _index_members(dynamodb, "TYPE#Y") == ["idx-a"]


def test_table_queries_read_their_partition_in_key_order(dynamodb):
    for sort_key in ("3", "1", "2"):
        dynamodb.put_item(TableName=TABLE, Item=_key("partition", sort_key))
    dynamodb.put_item(TableName=TABLE, Item=_key("partition-other", "0"))
    answer = dynamodb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :p AND sk > :s",
        ExpressionAttributeValues={":p": {"S": "partition"}, ":s": {"S": "1"}},
    )
    assert [item["sk"]["S"] for item in answer["Items"]] == ["2", "3"]


def test_the_ttl_sweep_deletes_expired_items_only(emulation, dynamodb):
    # given an expired item, a live one, and one without the attribute
    now = int(time.time())
    dynamodb.put_item(TableName=TABLE, Item={**_key("expired"), "expiresAt": {"N": str(now - 10)}})
    dynamodb.put_item(TableName=TABLE, Item={**_key("live"), "expiresAt": {"N": str(now + 3600)}})
    dynamodb.put_item(TableName=TABLE, Item=_key("forever"))
    # when the runtime sweeps
    emulation.control("sweep")
    # then only the expired one is gone
    assert "Item" not in dynamodb.get_item(TableName=TABLE, Key=_key("expired"))
    assert "Item" in dynamodb.get_item(TableName=TABLE, Key=_key("live"))
    assert "Item" in dynamodb.get_item(TableName=TABLE, Key=_key("forever"))


def test_a_saved_state_is_restored_into_a_new_emulation(emulation, dynamodb, tmp_path):
    # given items and a queued message saved, then a save of the changes since
    sqs = _client(emulation, "sqs")
    queue_url = sqs.create_queue(QueueName="fidelity-queue")["QueueUrl"]
    dynamodb.put_item(
        TableName=TABLE, Item={**_key("saved"), "gsi1pk": {"S": "TYPE#S"}, "gsi1sk": {"S": "1"}}
    )
    dynamodb.put_item(TableName=TABLE, Item={**_key("deleted later")})
    state_file = tmp_path / "state.sqlite3"
    save = {"path": str(state_file), "tables": [TABLE], "queues": ["fidelity-queue"]}
    emulation.control("save", save)
    sqs.send_message(QueueUrl=queue_url, MessageBody='{"check": 1}')
    dynamodb.delete_item(TableName=TABLE, Key=_key("deleted later"))
    dynamodb.update_item(
        TableName=TABLE,
        Key=_key("saved"),
        UpdateExpression="SET changed = :yes",
        ExpressionAttributeValues={":yes": {"BOOL": True}},
    )
    # (the second save writes only the two items that changed)
    assert emulation.control("save", save)["items"] == 2
    # when a new emulation with the same table and queue restores it
    with _emulation_like(dynamodb, queue="fidelity-queue") as fresh:
        fresh_dynamodb, fresh_sqs = _client(fresh, "dynamodb"), _client(fresh, "sqs")
        assert fresh.control("restore", {"path": str(state_file)}) == {"restored": True}
        # then items (as last changed), index and message are all there
        assert fresh_dynamodb.get_item(TableName=TABLE, Key=_key("saved"))["Item"]["changed"] == {
            "BOOL": True
        }
        assert "Item" not in fresh_dynamodb.get_item(TableName=TABLE, Key=_key("deleted later"))
        assert fresh_dynamodb.scan(TableName=TABLE)["Count"] == dynamodb.scan(TableName=TABLE)["Count"]
        assert _index_members(fresh_dynamodb, "TYPE#S") == ["saved"]
        fresh_queue_url = fresh_sqs.get_queue_url(QueueName="fidelity-queue")["QueueUrl"]
        messages = fresh_sqs.receive_message(QueueUrl=fresh_queue_url, MaxNumberOfMessages=10)["Messages"]
        assert [message["Body"] for message in messages] == ['{"check": 1}']


def test_an_earlier_versions_json_state_is_moved_into_the_database(dynamodb, tmp_path):
    # given the JSON base and journal an earlier version saved
    legacy = tmp_path / "dynamodb.json"
    item = {**_key("legacy"), "gsi1pk": {"S": "TYPE#L"}, "gsi1sk": {"S": "1"}}
    legacy.write_text(json.dumps({"format": 2, "generation": 3, "tables": {TABLE: {"k": item}}}))
    changed = {"tables": {TABLE: {"j": {**_key("journal"), "n": {"N": "1"}}}}}
    legacy.with_name("dynamodb.json.journal").write_text(f'{{"generation": 3}}\n{json.dumps(changed)}\n')
    database = tmp_path / "dynamodb.sqlite3"
    restore = {"path": str(database), "legacy": str(legacy), "tables": [TABLE], "queues": []}
    # when a new emulation restores, then a later one restores from the database alone
    with _emulation_like(dynamodb) as first:
        assert first.control("restore", restore) == {"restored": True}
    with _emulation_like(dynamodb) as second:
        assert second.control("restore", {"path": str(database)}) == {"restored": True}
        # then both items are there, indexed, and the JSON files are gone
        second_dynamodb = _client(second, "dynamodb")
        assert second_dynamodb.get_item(TableName=TABLE, Key=_key("journal"))["Item"]["n"] == {"N": "1"}
        assert _index_members(second_dynamodb, "TYPE#L") == ["legacy"]
    assert sorted(path.name for path in tmp_path.iterdir() if "json" in path.name) == []


@contextlib.contextmanager
def _emulation_like(dynamodb, queue: str | None = None):
    """A new emulation process with the fixture's table (and a queue)."""
    fresh = EmulationProcess.start("us-east-1")
    try:
        description = dynamodb.describe_table(TableName=TABLE)["Table"]
        _client(fresh, "dynamodb").create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=description["AttributeDefinitions"],
            KeySchema=description["KeySchema"],
            GlobalSecondaryIndexes=[
                {name: index[name] for name in ("IndexName", "KeySchema", "Projection")}
                for index in description["GlobalSecondaryIndexes"]
            ],
        )
        if queue:
            _client(fresh, "sqs").create_queue(QueueName=queue)
        yield fresh
    finally:
        fresh.stop()


def test_items_of_every_attribute_type_come_back_as_written(dynamodb):
    # given an item with binary, set, map, list, boolean and null attributes (answers skip moto's serializer)
    item = {
        "pk": {"S": "types"},
        "sk": {"S": "1"},
        "blob": {"B": b"\x00\xffbytes"},
        "tags": {"SS": ["a", "b"]},
        "numbers": {"NS": ["1", "2.5"]},
        "nested": {"M": {"list": {"L": [{"S": "x"}, {"BOOL": True}, {"NULL": True}, {"N": "3"}]}}},
    }
    dynamodb.put_item(TableName=TABLE, Item=item)
    # when it is read by key and by query
    got = dynamodb.get_item(TableName=TABLE, Key={"pk": item["pk"], "sk": item["sk"]})["Item"]
    queried = dynamodb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "types"}},
    )["Items"]
    # then both answers are the item, sets compared as sets
    for answer in (got, queried[0]):
        assert answer["blob"] == item["blob"]
        assert set(answer["tags"]["SS"]) == {"a", "b"}
        assert set(answer["numbers"]["NS"]) == {"1", "2.5"}
        assert answer["nested"] == item["nested"]


def test_a_message_deleted_twice_is_fine_and_content_deduplication_still_holds(emulation):
    sqs = _client(emulation, "sqs")
    # given a standard queue with a received and deleted message
    queue_url = sqs.create_queue(QueueName="fidelity-twice")["QueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody="once")
    handle = sqs.receive_message(QueueUrl=queue_url)["Messages"][0]["ReceiptHandle"]
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=handle)
    # when it is deleted again, and a FIFO queue with content-based deduplication gets one body twice
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=handle)
    fifo_url = sqs.create_queue(
        QueueName="fidelity-dedup.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    )["QueueUrl"]
    for _ in range(2):
        sqs.send_message(QueueUrl=fifo_url, MessageBody="same", MessageGroupId="g")
    # then the second delete succeeds as in SQS, and the FIFO queue holds one message
    attributes = sqs.get_queue_attributes(QueueUrl=fifo_url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "1"


def test_receives_skip_delayed_and_in_flight_messages_and_deletes_take_any_handle_of_theirs(emulation):
    sqs = _client(emulation, "sqs")
    # given a queue with a redrive policy holding delayed messages and one ready message
    dead_url = sqs.create_queue(QueueName="fidelity-dead")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    queue_url = sqs.create_queue(
        QueueName="fidelity-visible",
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": 2})},
    )["QueueUrl"]
    sqs.send_message_batch(
        QueueUrl=queue_url,
        Entries=[{"Id": str(n), "MessageBody": f"later {n}", "DelaySeconds": 900} for n in range(10)],
    )
    sqs.send_message(QueueUrl=queue_url, MessageBody="now")
    # when it is received, made visible again and received again
    first = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    assert sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []) == []
    sqs.change_message_visibility(
        QueueUrl=queue_url, ReceiptHandle=first[0]["ReceiptHandle"], VisibilityTimeout=0
    )
    second = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    # then only the ready message came, each time; its first handle still deletes it, a made-up one is refused
    assert [message["Body"] for message in first + second] == ["now", "now"]
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=first[0]["ReceiptHandle"])
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle="made-up")
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesDelayed"]) == (
        "0",
        "10",
    )
    assert attributes["MessageRetentionPeriod"] == "345600"
