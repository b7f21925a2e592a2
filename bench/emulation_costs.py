"""What one recorded run costs the local twin's emulation: moto as shipped, then with the twin's fixes.

The calls a run makes (a transaction, a partition query, a read, one event through a rule to a
queue, a batch of ten delayed run requests into a queue holding a thousand, a receive and its
delete) are made in-process on moto, first as shipped, then with every `local/` fix installed
(item-level transactions, partition queries, SQS costs, lighter answers). Same run, same machine:
the ratio is the figure, the milliseconds depend on the load. Run: `python -m bench.emulation_costs`.
"""

from __future__ import annotations

import json
import os
import time

import boto3
from moto import mock_aws

from bench.sizes import scaled
from bench.table import REPORT_ONLY, render, row

ROUNDS = scaled(150, 3)
QUEUED = scaled(1_000, 20)  # a multiple of 10 (sent ten to a batch)
_REGION = "us-east-1"


def _setup() -> tuple:
    dynamodb = boto3.client("dynamodb", region_name=_REGION)
    sqs = boto3.client("sqs", region_name=_REGION)
    events = boto3.client("events", region_name=_REGION)
    dynamodb.create_table(
        TableName="t",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    )
    queue_url = sqs.create_queue(QueueName="checks")["QueueUrl"]
    for _ in range(QUEUED // 10):
        sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "MessageBody": "{}", "DelaySeconds": 900} for i in range(10)],
        )
    log_url = sqs.create_queue(QueueName="event-log")["QueueUrl"]
    log_arn = sqs.get_queue_attributes(QueueUrl=log_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.create_event_bus(Name="bus")
    events.put_rule(Name="all", EventBusName="bus", EventPattern=json.dumps({"source": [{"prefix": ""}]}))
    events.put_targets(Rule="all", EventBusName="bus", Targets=[{"Id": "log", "Arn": log_arn}])
    return dynamodb, sqs, events, queue_url, log_url


def _one_run(clients: tuple, number: int) -> None:
    dynamodb, sqs, events, queue_url, log_url = clients
    pk = f"RUNS#s#c{number % 20}"
    result = {"M": {"statusCode": {"N": "200"}, "headers": {"M": {"a": {"S": "b"}, "c": {"S": "d"}}}}}
    dynamodb.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": "t",
                    "Item": {"pk": {"S": f"RUNID#{number}"}, "sk": {"S": "META"}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": "t",
                    "Item": {"pk": {"S": pk}, "sk": {"S": f"{number:08d}"}, "result": result},
                }
            },
            {
                "Update": {
                    "TableName": "t",
                    "Key": {"pk": {"S": "AGG#s"}, "sk": {"S": "hour"}},
                    "UpdateExpression": "ADD runCount :one, healthyCount :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
        ]
    )
    dynamodb.query(
        TableName="t", KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": pk}}
    )
    dynamodb.get_item(TableName="t", Key={"pk": {"S": "AGG#s"}, "sk": {"S": "hour"}})
    events.put_events(
        Entries=[{"EventBusName": "bus", "Source": "healthcheck", "DetailType": "Run", "Detail": "{}"}]
    )
    sqs.send_message_batch(
        QueueUrl=queue_url,
        Entries=[{"Id": str(i), "MessageBody": "{}", "DelaySeconds": 900} for i in range(10)],
    )
    received = sqs.receive_message(QueueUrl=log_url, MaxNumberOfMessages=10).get("Messages", [])
    if received:
        sqs.delete_message_batch(
            QueueUrl=log_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received)],
        )


def _milliseconds_per_run() -> float:
    with mock_aws():
        clients = _setup()
        started = time.perf_counter()
        for number in range(ROUNDS):
            _one_run(clients, number)
        return (time.perf_counter() - started) * 1000 / ROUNDS


def _install_twin_fixes() -> None:
    from local.dynamodb_fidelity import install_item_level_transactions, install_partition_queries
    from local.dynamodb_updates import install_plain_updates
    from local.moto_overheads import install_lighter_requests
    from local.sqs_fidelity import install_flat_sqs_costs

    install_item_level_transactions()
    install_partition_queries()
    install_flat_sqs_costs()
    install_lighter_requests()
    install_plain_updates()


def rows() -> list[dict]:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    shipped = _milliseconds_per_run()
    _install_twin_fixes()
    fixed = _milliseconds_per_run()
    return [
        row(
            "emulation ms per recorded run (twin / moto as shipped)",
            fixed,
            shipped,
            REPORT_ONLY,
            False,
            note=f"{ROUNDS} runs of 8 calls each, in-process moto, a queue holding {QUEUED} delayed messages",
        )
    ]


if __name__ == "__main__":
    print(render(rows()))
