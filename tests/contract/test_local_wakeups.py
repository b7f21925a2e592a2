"""The local twin's emulation of one-time schedules: due ones send their input to their queue once."""

from datetime import UTC, datetime, timedelta

import boto3
from moto import mock_aws

from local.wakeups import due_at, fire_due_schedules


def test_at_expressions_are_read_and_others_ignored():
    assert due_at("at(2026-01-05T12:00:00)") == datetime(2026, 1, 5, 12, tzinfo=UTC)
    assert due_at("rate(1 minute)") is None


def test_a_due_schedule_sends_its_input_once_and_a_later_one_waits():
    with mock_aws():
        # given
        scheduler, sqs = boto3.client("scheduler", "us-east-1"), boto3.client("sqs", "us-east-1")
        url = sqs.create_queue(QueueName="notifications")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        scheduler.create_schedule_group(Name="alerts")
        now = datetime(2026, 1, 5, 12, tzinfo=UTC)
        for name, at in (("due", now - timedelta(seconds=1)), ("later", now + timedelta(minutes=5))):
            scheduler.create_schedule(
                Name=name,
                GroupName="alerts",
                ScheduleExpression=f"at({at:%Y-%m-%dT%H:%M:%S})",
                FlexibleTimeWindow={"Mode": "OFF"},
                Target={
                    "Arn": arn,
                    "RoleArn": "arn:aws:iam::123456789012:role/r",
                    "Input": f'{{"n": "{name}"}}',
                },
            )
        # when
        first = fire_due_schedules(scheduler, sqs, ["alerts"], now)
        second = fire_due_schedules(scheduler, sqs, ["alerts"], now)
        # then
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        assert (first, second) == (1, 0)
        assert [m["Body"] for m in messages] == ['{"n": "due"}']
        assert [s["Name"] for s in scheduler.list_schedules(GroupName="alerts")["Schedules"]] == ["later"]
