"""The template's resources created in a fresh emulation: tables, queues, buses, rules, schedule
groups, and the event log (a rule and queue on every bus copying each published event)."""

from __future__ import annotations

import json

from local.aws_server import EmulationProcess
from local.emulation import EVENT_LOG_NAME, Emulation
from local.settings import LocalRuntimeSettings
from local.template import LOCAL_ACCOUNT_ID, ResourceReferences, Template

_TABLE_CREATE_PROPERTIES = (
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "ProvisionedThroughput",
)
_QUEUE_CREATE_ATTRIBUTES = (
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
    "MaximumMessageSize",
    "FifoQueue",
    "ContentBasedDeduplication",
)


def start_emulation(template: Template, settings: LocalRuntimeSettings) -> Emulation:
    dynamodb, messaging = EmulationProcess.start_together(
        settings.region, [("aws-dynamodb", settings.hot_items), ("aws-sqs-events", 0)]
    )
    references = ResourceReferences(region=settings.region)
    emulation = Emulation(template, settings, references, "", dynamodb, messaging)
    try:
        _create_tables(emulation)
        _create_queues(emulation)
        _create_event_buses(emulation)
        _declare_kms_keys(emulation)
        _create_alerting_resources(emulation)
        emulation.event_log_queue_url = _create_event_log(emulation)
    except Exception:
        emulation.stop()
        raise
    return emulation


def _create_tables(emulation: Emulation) -> None:
    dynamodb = emulation.client("dynamodb")
    for logical_id, properties in emulation.template.resources_of_type("AWS::DynamoDB::Table").items():
        properties = emulation.template.resolve(properties, emulation.references)
        table_name = properties.get("TableName", logical_id)
        dynamodb.create_table(
            TableName=table_name,
            **{name: properties[name] for name in _TABLE_CREATE_PROPERTIES if name in properties},
        )
        time_to_live = properties.get("TimeToLiveSpecification")
        if time_to_live:
            dynamodb.update_time_to_live(
                TableName=table_name,
                TimeToLiveSpecification={
                    "AttributeName": time_to_live["AttributeName"],
                    "Enabled": bool(time_to_live.get("Enabled", True)),
                },
            )
        arn = dynamodb.describe_table(TableName=table_name)["Table"]["TableArn"]
        emulation.references.refs[logical_id] = table_name
        emulation.references.attributes[(logical_id, "Arn")] = arn


def _create_queues(emulation: Emulation) -> None:
    sqs = emulation.client("sqs")
    queues = emulation.template.resources_of_type("AWS::SQS::Queue")
    # Every queue exists before any redrive policy names its dead-letter queue.
    for logical_id, properties in queues.items():
        properties = emulation.template.resolve(
            {name: value for name, value in properties.items() if name != "RedrivePolicy"},
            emulation.references,
        )
        queue_name = properties.get("QueueName", logical_id)
        attributes = {name: str(properties[name]) for name in _QUEUE_CREATE_ATTRIBUTES if name in properties}
        queue_url = sqs.create_queue(QueueName=queue_name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        emulation.references.refs[logical_id] = queue_url
        emulation.references.attributes[(logical_id, "Arn")] = arn
        emulation.references.attributes[(logical_id, "QueueName")] = queue_name
        emulation.references.attributes[(logical_id, "QueueUrl")] = queue_url
    for logical_id, properties in queues.items():
        if "RedrivePolicy" in properties:
            redrive_policy = emulation.template.resolve(properties["RedrivePolicy"], emulation.references)
            sqs.set_queue_attributes(
                QueueUrl=emulation.queue_url(logical_id),
                Attributes={"RedrivePolicy": json.dumps(redrive_policy)},
            )


def _create_event_buses(emulation: Emulation) -> None:
    events = emulation.client("events")
    for logical_id, properties in emulation.template.resources_of_type("AWS::Events::EventBus").items():
        bus_name = emulation.template.resolve(properties.get("Name", logical_id), emulation.references)
        arn = events.create_event_bus(Name=bus_name)["EventBusArn"]
        emulation.references.refs[logical_id] = bus_name
        emulation.references.attributes[(logical_id, "Arn")] = arn
        emulation.references.attributes[(logical_id, "Name")] = bus_name


def _declare_kms_keys(emulation: Emulation) -> None:
    """No KMS locally: an empty key id makes the functions seal secrets with HC_SECRETS_KEY instead."""
    for logical_id in emulation.template.resources_of_type("AWS::KMS::Key"):
        emulation.references.refs[logical_id] = ""
        emulation.references.attributes[(logical_id, "Arn")] = ""


def schedule_groups(emulation: Emulation) -> list[str]:
    return [
        emulation.references.refs[logical_id]
        for logical_id in emulation.template.resources_of_type("AWS::Scheduler::ScheduleGroup")
    ]


def _create_alerting_resources(emulation: Emulation) -> None:
    """Rules that feed queues, the wake-up schedule group, and local names for the scheduler's role."""
    for logical_id in emulation.template.resources_of_type("AWS::IAM::Role"):
        emulation.references.attributes[(logical_id, "Arn")] = (
            f"arn:aws:iam::{LOCAL_ACCOUNT_ID}:role/{logical_id}"
        )
    scheduler = emulation.client("scheduler")
    for logical_id, properties in emulation.template.resources_of_type(
        "AWS::Scheduler::ScheduleGroup"
    ).items():
        name = emulation.template.resolve(properties.get("Name", logical_id), emulation.references)
        scheduler.create_schedule_group(Name=name)
        emulation.references.refs[logical_id] = name
    events = emulation.client("events")
    queues = emulation.template.resources_of_type("AWS::SQS::Queue")
    for logical_id, properties in emulation.template.resources_of_type("AWS::Events::Rule").items():
        targets = [
            t
            for t in properties.get("Targets", [])
            if t.get("Arn", {}).get("Fn::GetAtt", [None])[0] in queues
        ]
        if not targets:
            continue
        bus = emulation.template.resolve(properties.get("EventBusName", "default"), emulation.references)
        events.put_rule(
            Name=logical_id, EventBusName=bus, EventPattern=json.dumps(properties["EventPattern"])
        )
        resolved = [
            {"Id": t["Id"], "Arn": emulation.template.resolve(t["Arn"], emulation.references)}
            for t in targets
        ]
        events.put_targets(Rule=logical_id, EventBusName=bus, Targets=resolved)


def _create_event_log(emulation: Emulation) -> str:
    """A rule and a queue on every bus that copy each published event, so the runtime can print it."""
    sqs = emulation.client("sqs")
    events = emulation.client("events")
    queue_url = sqs.create_queue(QueueName=EVENT_LOG_NAME)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    for logical_id in emulation.template.resources_of_type("AWS::Events::EventBus"):
        bus_name = emulation.references.refs[logical_id]
        events.put_rule(
            Name=EVENT_LOG_NAME,
            EventBusName=bus_name,
            EventPattern=json.dumps({"source": [{"prefix": ""}]}),
        )
        events.put_targets(
            Rule=EVENT_LOG_NAME, EventBusName=bus_name, Targets=[{"Id": "event-log", "Arn": queue_arn}]
        )
    return queue_url
