"""The bench's latency-injected store is only worth its figures if the fast fakes make the calls
moto makes: the same tick, on moto and on the fakes, counted by API."""

from __future__ import annotations

import boto3
import pytest

from bench.latency import TYPICAL_LATENCY_MS
from bench.scheduler_sim import (
    CHECKS_URL,
    SHARDS_URL,
    TABLE,
    fan_out_tick,
    runs_by_check,
    seed_due_checks,
    simulated_stack,
)
from local.template import Template

CHECKS = 150  # every shard gets a few; moto SQS is quadratic in the messages it holds


@pytest.fixture
def moto_clients(monkeypatch):
    from moto import mock_aws

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        dynamodb, sqs = boto3.client("dynamodb"), boto3.client("sqs")
        properties = Template.load().resources_of_type("AWS::DynamoDB::Table")["HealthcheckTable"]
        dynamodb.create_table(
            TableName=TABLE,
            **{
                k: properties[k]
                for k in ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "BillingMode")
            },
        )
        for url in (CHECKS_URL, SHARDS_URL):
            sqs.create_queue(QueueName=url.rsplit("/", 1)[1])
        yield dynamodb, sqs


class _MotoQueues:
    """moto's SQS under the bench's queue URLs (its own URLs name its own account and host)."""

    def __init__(self, sqs):
        self._sqs = sqs
        self._urls = {
            url: sqs.get_queue_url(QueueName=url.rsplit("/", 1)[1])["QueueUrl"]
            for url in (CHECKS_URL, SHARDS_URL)
        }
        self.messages: dict[str, list[dict]] = {CHECKS_URL: [], SHARDS_URL: []}

    def send_message_batch(self, *, QueueUrl: str, Entries: list[dict]) -> dict:
        answer = self._sqs.send_message_batch(QueueUrl=self._urls[QueueUrl], Entries=Entries)
        self.messages[QueueUrl] += Entries
        return answer


def test_the_fakes_make_the_calls_moto_makes_for_the_same_tick(moto_clients):
    # given the same due checks on moto and on the fakes, both behind the latency injection
    dynamodb, sqs = moto_clients
    on_moto = simulated_stack(dynamodb, _MotoQueues(sqs))
    on_fakes = simulated_stack()
    for stack in (on_moto, on_fakes):
        seed_due_checks(stack, CHECKS)
    # when one tick runs on each
    took = [fan_out_tick(stack) for stack in (on_moto, on_fakes)]
    # then they made the same calls, sent the same runs, and took the same simulated time
    assert on_moto.calls == on_fakes.calls
    assert set(on_moto.calls) <= set(TYPICAL_LATENCY_MS)
    assert runs_by_check(on_moto) == runs_by_check(on_fakes)
    assert len(runs_by_check(on_moto)) == CHECKS
    assert took[0] == pytest.approx(took[1])
