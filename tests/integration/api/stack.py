"""An in-process stack for API tests: moto's mock of DynamoDB, SQS and EventBridge with the
tables and queues of template.yaml, the real handlers, and events built as API Gateway sends them."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import boto3

from local.emulation import reset_cached_environment
from local.http_gateway import RouteTable, http_api_event
from local.lambda_runtime import invoke_function, lambda_context_for, load_handler
from local.template import Template
from shared.events import RecordingPublisher
from shared.services import context

ADMIN_KEY = "test-admin-key"
SECRETS_KEY = "mm94yi0hIpPWEZw9YaSNwP2bEB9OUbRoDAEOM8FdQ70="
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

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        key: str | None = ADMIN_KEY,
        headers: dict | None = None,
        query: dict | None = None,
        raw_body: bytes | None = None,
        own_environment: bool = False,
    ) -> Answer:
        """One request through the template's route and handler. `own_environment=True` skips the
        one-invocation-at-a-time lock, as if the request landed on another Lambda execution environment."""
        match = self.routes.match(method, path)
        assert match is not None, f"no template route for {method} {path}"
        route, parameters = match
        given = {name.lower(): value for name, value in (headers or {}).items()}
        defaults = {"content-type": "application/json"} | ({"authorization": f"Bearer {key}"} if key else {})
        header_list = [(name, value) for name, value in (defaults | given).items() if value is not None]
        encoded = json.dumps(body).encode() if body is not None else b""
        payload = raw_body if raw_body is not None else encoded
        event = http_api_event(
            route=route,
            path_parameters=parameters,
            method=method,
            raw_path=path,
            raw_query_string=urlencode(query or {}),
            headers=header_list,
            body=payload,
            source_ip="127.0.0.1",
        )
        function = self.template.function(route.function)
        if own_environment:
            result = load_handler(function)(event, lambda_context_for(function, "us-east-1"))
        else:
            result = invoke_function(function, event)
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
        dynamodb.create_table(
            TableName=name,
            **{
                k: properties[k]
                for k in ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "BillingMode")
                if k in properties
            },
        )
    queue_url = boto3.client("sqs").create_queue(QueueName="checks")["QueueUrl"]
    boto3.client("events").create_event_bus(Name="healthcheck")
    return queue_url


def reset_process_state() -> None:
    # The same list the local runtime uses when it changes the environment of its process.
    reset_cached_environment()


def environment(queue_url: str) -> dict[str, str]:
    return {
        "TABLE_NAME": TABLE,
        "CHECKS_QUEUE_URL": queue_url,
        "EVENT_BUS_NAME": "healthcheck",
        "CACHE_BACKEND": "memory",
        "HC_ADMIN_API_KEY": ADMIN_KEY,
        "HC_PUBLIC_STATUS": "false",
        "HC_ALLOW_PRIVATE_TARGETS": "true",
        "CACHE_TABLE_NAME": "test-CacheTable",
        "HC_SECRETS_KEY": SECRETS_KEY,
        # on (the stack's default is off): these tests count the per-run events to see each run once
        "HC_RUN_EVENTS": "true",
    }


def apply(env: dict[str, str]) -> None:
    os.environ.update(env)
    reset_process_state()


# --- helpers the API tests share -----------------------------------------------------------------

WEB_CONFIG = {"url": "https://example.com/health"}


def configuration_body(configuration_id: str = "web", **overrides: Any) -> dict:
    return {
        "id": configuration_id,
        "name": configuration_id.title(),
        "strategyId": "http",
        "config": dict(WEB_CONFIG),
        "intervalSeconds": 60,
    } | overrides


def created(answer: Answer) -> Any:
    assert answer.status in (200, 201, 202, 204), (answer.status, answer.body)
    return answer.body


def add_system(stack: Stack, system_id: str, **fields: Any) -> dict:
    return created(stack.call("POST", "/systems", {"id": system_id, "name": system_id.title()} | fields))


def add_configuration(stack: Stack, configuration_id: str = "web", **overrides: Any) -> dict:
    return created(stack.call("POST", "/configurations", configuration_body(configuration_id, **overrides)))


def assign(
    stack: Stack, system_id: str, configuration_id: str, body: dict | None = None, **kwargs: Any
) -> dict:
    return created(stack.call("PUT", f"/systems/{system_id}/checks/{configuration_id}", body or {}, **kwargs))


def new_key(stack: Stack, role: str, name: str | None = None) -> str:
    return created(stack.call("POST", "/api-keys", {"name": name or f"{role} key", "role": role}))["key"]


def store_items() -> list[dict]:
    """Every item of the main table, in key order: what 'the store is unchanged' compares."""
    dynamodb = boto3.client("dynamodb")
    items: list[dict] = []
    request: dict[str, Any] = {"TableName": TABLE}
    while True:
        answer = dynamodb.scan(**request)
        items += answer["Items"]
        if "LastEvaluatedKey" not in answer:
            return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def reconfigure(stack: Stack, **env: str) -> None:
    """Change settings mid-test (the stack fixture puts every variable back afterwards)."""
    apply(env)
    context.default_collaborators().publisher = stack.published
