"""template.yaml as the local runtime sees it: functions, routes, schedules, queues, tables, and their env.

Nothing here knows a route, a table or a variable by name. The SAM translator (the transform
CloudFormation runs) turns the template into plain CloudFormation, Globals merged: functions,
their event source mappings, their schedules and the HTTP API's OpenAPI body are read from its
output. What the translator leaves to CloudFormation, evaluating conditions and intrinsic functions
against this machine's resources (`Ref` of a table is its local name), is done here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from local.sam_translation import TEMPLATE_PATH, cached_translation, load_template_document

LOCAL_ACCOUNT_ID = "123456789012"
LOCAL_STACK_NAME = "healthcheck-local"
_ANY_METHOD = "x-amazon-apigateway-any-method"
_FUNCTION_ARN = re.compile(r"\$\{(\w+)\.Arn\}")


class TemplateError(Exception):
    pass


@dataclass(frozen=True)
class HttpRoute:
    method: str
    path: str
    function: str

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def is_greedy(self) -> bool:
        return "+}" in self.path


@dataclass(frozen=True)
class Schedule:
    function: str
    name: str
    expression: str


@dataclass(frozen=True)
class QueueSubscription:
    function: str
    queue: str
    batch_size: int
    batching_window_seconds: int
    reports_batch_item_failures: bool


@dataclass(frozen=True)
class LambdaFunction:
    logical_id: str
    handler: str
    timeout_seconds: int
    memory_mb: int
    environment: Mapping[str, Any] = field(repr=False)

    @property
    def module_name(self) -> str:
        module_path, _, _ = self.handler.rpartition(".")
        return module_path.replace("/", ".")

    @property
    def handler_attribute(self) -> str:
        return self.handler.rpartition(".")[2]

    @property
    def short_name(self) -> str:
        """`api_reads` for `functions/api_reads/app.lambda_handler`."""
        return self.handler.split("/")[-2]


@dataclass
class ResourceReferences:
    """What `Ref` and `Fn::GetAtt` of each resource evaluate to in one environment."""

    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)
    region: str = "us-east-1"


_NO_VALUE = object()
_SUB_VARIABLE = re.compile(r"\$\{([^}]+)\}")


class Template:
    def __init__(self, document: dict, parameter_overrides: Mapping[str, str] | None = None):
        self.document = document
        self.parameter_overrides = dict(parameter_overrides or {})

    @classmethod
    def load(cls, path: Path = TEMPLATE_PATH, parameter_overrides: Mapping[str, str] | None = None):
        return cls(load_template_document(path), parameter_overrides)

    @cached_property
    def parameters(self) -> dict[str, str]:
        declared = self.document.get("Parameters", {})
        unknown = set(self.parameter_overrides) - set(declared)
        if unknown:
            raise TemplateError(f"unknown template parameters: {sorted(unknown)}")
        return {
            name: str(self.parameter_overrides.get(name, definition.get("Default", "")))
            for name, definition in declared.items()
        }

    def condition(self, name: str) -> bool:
        conditions = self.document.get("Conditions", {})
        if name not in conditions:
            raise TemplateError(f"unknown condition {name}")
        return bool(self.resolve(conditions[name], ResourceReferences()))

    @cached_property
    def translated(self) -> dict:
        """The template after the SAM transform (parameters applied as CloudFormation would)."""
        return cached_translation(self.document, self.parameters)

    def resources_of_type(self, resource_type: str) -> dict[str, dict]:
        """Translated resources of a type that exist under the current parameters, by logical id."""
        return {
            logical_id: resource.get("Properties", {})
            for logical_id, resource in self.translated.get("Resources", {}).items()
            if resource["Type"] == resource_type
            and ("Condition" not in resource or self.condition(resource["Condition"]))
        }

    @cached_property
    def functions(self) -> dict[str, LambdaFunction]:
        return {
            logical_id: LambdaFunction(
                logical_id=logical_id,
                handler=properties["Handler"],
                timeout_seconds=int(properties.get("Timeout", 3)),
                memory_mb=int(properties.get("MemorySize", 128)),
                environment=properties.get("Environment", {}).get("Variables", {}),
            )
            for logical_id, properties in self.resources_of_type("AWS::Lambda::Function").items()
        }

    def function(self, name: str) -> LambdaFunction:
        """A function by logical id (`ApiReadsFunction`) or by its handler package (`api_reads`)."""
        if name in self.functions:
            return self.functions[name]
        for function in self.functions.values():
            if name == function.short_name:
                return function
        raise TemplateError(f"no function {name!r} in template.yaml; known: {sorted(self.functions)}")

    @cached_property
    def http_routes(self) -> list[HttpRoute]:
        """Every route of the HTTP APIs' OpenAPI bodies, with the function its integration invokes."""
        routes = []
        for properties in self.resources_of_type("AWS::ApiGatewayV2::Api").values():
            for path, operations in properties.get("Body", {}).get("paths", {}).items():
                for method, operation in operations.items():
                    uri = operation.get("x-amazon-apigateway-integration", {}).get("uri", {})
                    target = _FUNCTION_ARN.search(uri.get("Fn::Sub", "") if isinstance(uri, dict) else "")
                    if target:
                        method_name = "ANY" if method == _ANY_METHOD else method.upper()
                        routes.append(HttpRoute(method=method_name, path=path, function=target.group(1)))
        return routes

    @cached_property
    def schedules(self) -> list[Schedule]:
        """EventBridge Scheduler schedules and scheduled rules whose target is a function."""
        schedules = []
        for logical_id, properties in self.resources_of_type("AWS::Scheduler::Schedule").items():
            targets = [properties.get("Target", {})]
            schedules += self._schedules_of(logical_id, properties["ScheduleExpression"], targets)
        for logical_id, properties in self.resources_of_type("AWS::Events::Rule").items():
            if "ScheduleExpression" in properties:
                schedules += self._schedules_of(
                    logical_id, properties["ScheduleExpression"], properties.get("Targets", [])
                )
        return schedules

    def _schedules_of(self, logical_id: str, expression: str, targets: list[dict]) -> list[Schedule]:
        functions = [_get_att_target(target.get("Arn")) for target in targets]
        return [
            Schedule(function=function, name=logical_id.removeprefix(function), expression=expression)
            for function in functions
            if function in self.functions
        ]

    @cached_property
    def queue_subscriptions(self) -> list[QueueSubscription]:
        subscriptions = []
        for logical_id, properties in self.resources_of_type("AWS::Lambda::EventSourceMapping").items():
            queue = _get_att_target(properties.get("EventSourceArn"))
            if queue not in self.resources_of_type("AWS::SQS::Queue"):
                raise TemplateError(f"{logical_id}: the SQS event must name a queue of this template")
            subscriptions.append(
                QueueSubscription(
                    function=properties["FunctionName"]["Ref"],
                    queue=queue,
                    batch_size=int(properties.get("BatchSize", 10)),
                    batching_window_seconds=int(properties.get("MaximumBatchingWindowInSeconds", 0)),
                    reports_batch_item_failures="ReportBatchItemFailures"
                    in properties.get("FunctionResponseTypes", []),
                )
            )
        return subscriptions

    @cached_property
    def only_scheduled(self) -> frozenset[str]:
        """The functions that schedules alone invoke: no HTTP route, no queue."""
        invoked_otherwise = {route.function for route in self.http_routes}
        invoked_otherwise |= {subscription.function for subscription in self.queue_subscriptions}
        return frozenset(schedule.function for schedule in self.schedules) - invoked_otherwise

    def function_environment(
        self, function: LambdaFunction, references: ResourceReferences
    ) -> dict[str, str]:
        resolved = {name: self.resolve(value, references) for name, value in function.environment.items()}
        return {
            name: _as_environment_value(value) for name, value in resolved.items() if value is not _NO_VALUE
        }

    def resolve(self, value: Any, references: ResourceReferences) -> Any:
        """Evaluate the intrinsic functions the local runtime needs; `If` evaluates only the chosen branch."""
        if isinstance(value, list):
            items = [self.resolve(item, references) for item in value]
            return [item for item in items if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            intrinsic = _INTRINSICS.get(key)
            if intrinsic is not None:
                return intrinsic(self, argument, references)
        resolved = {key: self.resolve(item, references) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _NO_VALUE}

    def _ref(self, name: str, references: ResourceReferences) -> Any:
        pseudo_parameters = {
            "AWS::NoValue": _NO_VALUE,
            "AWS::Region": references.region,
            "AWS::AccountId": LOCAL_ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": LOCAL_STACK_NAME,
        }
        if name in pseudo_parameters:
            return pseudo_parameters[name]
        if name in self.parameters:
            parameter_type = self.document["Parameters"][name].get("Type", "String")
            if parameter_type == "CommaDelimitedList":
                return [item for item in self.parameters[name].split(",") if item]
            return self.parameters[name]
        if name in references.refs:
            return references.refs[name]
        raise TemplateError(f"Ref {name} has no local value")

    def _get_att(self, argument: list, references: ResourceReferences) -> str:
        logical_id, attribute = argument
        try:
            return references.attributes[(logical_id, attribute)]
        except KeyError:
            raise TemplateError(f"GetAtt {logical_id}.{attribute} has no local value") from None

    def _sub(self, argument: str | list, references: ResourceReferences) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        variables = {name: self.resolve(item, references) for name, item in variables.items()}

        def substitute(match: re.Match) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name:
                return self._get_att(name.split(".", 1), references)
            return str(self._ref(name, references))

        return _SUB_VARIABLE.sub(substitute, text)


def _get_att_target(arn: Any) -> str | None:
    """`Queue` for `{"Fn::GetAtt": ["Queue", "Arn"]}`; None for anything else."""
    if isinstance(arn, dict) and "Fn::GetAtt" in arn:
        return arn["Fn::GetAtt"][0]
    return None


def _as_environment_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _resolve_if(template: Template, argument: list, references: ResourceReferences) -> Any:
    condition_name, when_true, when_false = argument
    return template.resolve(when_true if template.condition(condition_name) else when_false, references)


_INTRINSICS = {
    "Ref": lambda template, name, references: template._ref(name, references),
    "Fn::GetAtt": lambda template, argument, references: template._get_att(argument, references),
    "Fn::Sub": lambda template, argument, references: template._sub(argument, references),
    "Fn::If": _resolve_if,
    "Condition": lambda template, name, references: template.condition(name),
    "Fn::Equals": lambda template, argument, references: (
        str(template.resolve(argument[0], references)) == str(template.resolve(argument[1], references))
    ),
    "Fn::Not": lambda template, argument, references: not template.resolve(argument[0], references),
    "Fn::And": lambda template, argument, references: all(
        template.resolve(item, references) for item in argument
    ),
    "Fn::Or": lambda template, argument, references: any(
        template.resolve(item, references) for item in argument
    ),
    "Fn::Join": lambda template, argument, references: argument[0].join(
        str(item) for item in template.resolve(argument[1], references)
    ),
    "Fn::Select": lambda template, argument, references: template.resolve(argument[1], references)[
        int(template.resolve(argument[0], references))
    ],
}
