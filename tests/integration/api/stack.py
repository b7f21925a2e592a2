"""An in-process stack for API tests: moto's mock of DynamoDB, SQS and EventBridge with the
tables and queues of template.yaml, the real handlers, and events built as API Gateway sends them."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import boto3

from local.http_gateway import RouteTable, http_api_event
from local.lambda_runtime import invoke_function
from local.template import Template
from shared import aws
from shared.cache import factory
from shared.events import RecordingPublisher
from shared.http import auth
from shared.services import context
from shared.settings import reset_settings

ADMIN_KEY = "test-admin-key"
TABLE = "healthcheck-test"


@dataclass
class Answer:
    status: int
    headers: dict
    body: Any

    @property
    def error_code(self) -> str | None:
        return (self.body or {}).get("error", {}).get("code") if isinstance(self.body, dict) else None


@dataclass
class Stack:
    template: Template
    routes: RouteTable
    queue_url: str
    published: RecordingPublisher = field(default_factory=RecordingPublisher)

    def call(self, method: str, path: str, body: Any = None, *, key: str | None = ADMIN_KEY,
             headers: dict | None = None, query: dict | None = None, raw_body: bytes | None = None) -> Answer:
        match = self.routes.match(method, path)
        assert match is not None, f"no template route for {method} {path}"
        route, parameters = match
        header_list = [("content-type", "application/json")]
        if key:
            header_list.append(("authorization", f"Bearer {key}"))
        header_list += list((headers or {}).items())
        payload = raw_body if raw_body is not None else (json.dumps(body).encode() if body is not None else b"")
        event = http_api_event(route=route, path_parameters=parameters, method=method, raw_path=path,
                               raw_query_string=urlencode(query or {}), headers=header_list, body=payload,
                               source_ip="127.0.0.1")
        result = invoke_function(self.template.function(route.function), event)
        text = result.get("body") or ""
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return Answer(result["statusCode"], result.get("headers") or {}, parsed)

    def invoke(self, function_name: str, event: dict) -> Any:
        return invoke_function(self.template.function(function_name), event)

    def queued(self) -> list[dict]:
        sqs = boto3.client("sqs")
        messages = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) | {"_messageId": m["MessageId"]} for m in messages]


def create_resources(template: Template) -> str:
    """Tables from template.yaml's definitions; returns the checks queue URL."""
    dynamodb = boto3.client("dynamodb")
    for logical_id, properties in template.resources_of_type("AWS::DynamoDB::Table").items():
        name = {"HealthcheckTable": TABLE}.get(logical_id, f"test-{logical_id}")
        dynamodb.create_table(TableName=name, **{k: properties[k] for k in (
            "KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "BillingMode") if k in properties})
    queue_url = boto3.client("sqs").create_queue(QueueName="checks")["QueueUrl"]
    boto3.client("events").create_event_bus(Name="healthcheck")
    return queue_url


def reset_process_state() -> None:
    reset_settings()
    aws.reset_clients()
    context.reset_collaborators()
    factory.reset_memory_backend()
    auth.bootstrap_key.cache_clear()


def environment(queue_url: str) -> dict[str, str]:
    return {
        "TABLE_NAME": TABLE, "CHECKS_QUEUE_URL": queue_url, "EVENT_BUS_NAME": "healthcheck",
        "CACHE_BACKEND": "memory", "HC_ADMIN_API_KEY": ADMIN_KEY, "HC_PUBLIC_STATUS": "false",
        "HC_ALLOW_PRIVATE_TARGETS": "true", "CACHE_TABLE_NAME": "test-CacheTable",
        "IDEMPOTENCY_TABLE_NAME": "test-IdempotencyTable",
    }


def apply(env: dict[str, str]) -> None:
    os.environ.update(env)
    reset_process_state()
