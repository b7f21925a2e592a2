"""The local AWS emulation: its two moto processes, their saves and usage, and each function's environment."""

from __future__ import annotations

import functools
import os
import sys
from collections import Counter
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from local.aws_server import EmulationProcess
from local.call_priority import BACKGROUND_APP_ID
from local.settings import LocalRuntimeSettings
from local.template import LambdaFunction, ResourceReferences, Template

EVENT_LOG_NAME = "healthcheck-local-event-log"

# What a process caches from its environment (settings, clients, collaborators, the bootstrap key,
# the memory cache). Only modules already imported can hold anything, so nothing is imported here.
_RESET_HOOKS = (
    ("shared.settings", "reset_settings"),
    ("shared.aws", "reset_clients"),
    ("shared.services.context", "reset_collaborators"),
    ("shared.cache.factory", "reset_memory_backend"),
    ("shared.http.auth", "bootstrap_key.cache_clear"),
    ("shared.secrets", "reset_encryptor"),
    ("shared.services.alerting.context", "reset_alerting"),
)


# The state databases of the two emulation processes in the data directory, and the JSON files of
# earlier versions (read once and moved into them): a base and journal per process, and before
# that the single `state.json`.
_DYNAMODB_STATE, _QUEUES_STATE = "dynamodb.sqlite3", "queues.sqlite3"
_LEGACY_DYNAMODB_STATE, _LEGACY_QUEUES_STATE = "dynamodb.json", "queues.json"
_LEGACY_SINGLE_STATE = "state.json"


@dataclass
class Emulation:
    """Two moto processes: DynamoDB in one, SQS, EventBridge and Scheduler in the other (a rule's
    queue target is delivered inside moto, so those stay together). Each answers one call at a time,
    so a run's table writes never wait behind the pollers' queue calls, and the two use both cores."""

    template: Template
    settings: LocalRuntimeSettings
    references: ResourceReferences
    event_log_queue_url: str
    _dynamodb: EmulationProcess = field(repr=False)
    _messaging: EmulationProcess = field(repr=False)

    @property
    def region(self) -> str:
        return self.references.region

    @property
    def endpoint_url(self) -> str:
        """Where SQS, EventBridge and Scheduler answer (and every service but DynamoDB)."""
        return self._messaging.endpoint_url

    @property
    def dynamodb_endpoint_url(self) -> str:
        return self._dynamodb.endpoint_url

    @property
    def pids(self) -> list[int]:
        return [server.pid for server in (self._dynamodb, self._messaging) if server.pid]

    @property
    def cache_backend(self) -> str:
        function = next(iter(self.template.functions.values()))
        return self.environment_for(function).get("CACHE_BACKEND", "none")

    def save(self, directory: Path, final: bool = False) -> str:
        """Write what changed in the tables, and the queues' messages, as they are between two calls,
        to the data directory; both processes save at once. Returns a line on what each wrote.

        `final` refuses every later call, so the files hold every write the emulation acknowledged.
        """
        with ThreadPoolExecutor(2) as pool:
            saves = [
                pool.submit(server.control, "save", {**request, "final": final})
                for server, request in self._state_requests(directory)
            ]
        answers = [save.result() for save in saves]
        return "; ".join(
            f"{name} {answer['items']} items (lock held {answer['lockedMs']:.0f} ms, "
            f"written in {answer['writeMs']:.0f} ms)"
            for name, answer in zip(("dynamodb", "sqs/events"), answers, strict=True)
        )

    def restore(self, directory: Path) -> bool:
        """Load the saved state into the freshly created tables and queues; False when there is none."""
        legacy = (directory / _LEGACY_DYNAMODB_STATE, directory / _LEGACY_QUEUES_STATE)
        if not any(path.exists() for path in legacy):
            legacy = (directory / _LEGACY_SINGLE_STATE,) * 2
        restored = [
            server.control("restore", {**request, "legacy": str(legacy_path)}, timeout=300)["restored"]
            for (server, request), legacy_path in zip(self._state_requests(directory), legacy, strict=True)
        ]
        return any(restored)

    def _state_requests(self, directory: Path) -> list[tuple[EmulationProcess, dict]]:
        """Each process, with its state database and the tables or queues it keeps."""
        tables = [
            self.references.refs[logical_id] for logical_id in self._logical_ids("AWS::DynamoDB::Table")
        ]
        queues = [
            self.references.attributes[(logical_id, "QueueName")]
            for logical_id in self._logical_ids("AWS::SQS::Queue")
        ]
        return [
            (self._dynamodb, {"path": str(directory / _DYNAMODB_STATE), "tables": tables, "queues": []}),
            (self._messaging, {"path": str(directory / _QUEUES_STATE), "tables": [], "queues": queues}),
        ]

    def sweep_expired_items(self) -> int:
        return self._dynamodb.control("sweep")["deleted"]

    def usage_summary(self, period_seconds: float) -> str:
        """One line: calls and busy share of each emulation process since the last one, costliest
        operations first."""
        parts = []
        for name, server in (("dynamodb", self._dynamodb), ("sqs/events", self._messaging)):
            usage = server.control("usage")
            calls, busy = Counter(usage["calls"]), Counter(usage["busy"])
            costliest = ", ".join(
                f"{operation} {calls[operation]}x{busy[operation] / calls[operation] * 1000:.1f}ms"
                for operation, _ in busy.most_common(4)
            )
            share = sum(busy.values()) / period_seconds * 100
            items = usage.get("items")
            kept = f", items {items['hot']} in memory + {items['cold']} on disk" if items else ""
            parts.append(
                f"{name} {sum(calls.values())} calls, busy {share:.0f}% ({costliest}), "
                f"resident {usage.get('residentMb', 0):.0f} MB{kept}"
            )
        return "emulation: " + "; ".join(parts)

    def close_requests(self) -> None:
        """Every later call is refused."""
        self._dynamodb.control("close")
        self._messaging.control("close")

    def _logical_ids(self, resource_type: str) -> list[str]:
        return [
            logical_id
            for logical_id in self.template.resources_of_type(resource_type)
            if logical_id in self.references.refs
        ]

    def client(self, service_name: str) -> Any:
        return boto3.client(
            service_name,
            endpoint_url=self.dynamodb_endpoint_url if service_name == "dynamodb" else self.endpoint_url,
            region_name=self.region,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def queue_url(self, logical_id: str) -> str:
        return self.references.refs[logical_id]

    def queue_arn(self, logical_id: str) -> str:
        return self.references.attributes[(logical_id, "Arn")]

    def environment_for(self, function: LambdaFunction) -> dict[str, str]:
        """The function's declared variables resolved against the emulation, local settings on top."""
        declared = self.template.function_environment(function, self.references)
        redis_url = "" if self.settings.cache_backend == "dynamodb" else self.settings.redis_url
        local_overrides = {
            "HC_ADMIN_API_KEY": self.settings.admin_api_key,
            "HC_PUBLIC_STATUS": _flag(self.settings.public_status),
            "HC_ALLOW_PRIVATE_TARGETS": _flag(self.settings.allow_private_targets),
            "POWERTOOLS_TRACE_DISABLED": "true",
            # Without Redis the template's own DynamoDB cache table serves, as in AWS: the functions
            # run in separate processes, so an in-process cache would not be shared.
            "CACHE_BACKEND": "redis" if redis_url else None,
            "REDIS_URL": redis_url,
            "HC_SECRETS_KEY": self.settings.secrets_key or None,
            # Without a scheduler queue the scheduler runs every shard itself, in parallel threads:
            # 64 shard invocations one after another made a local tick 15-20 s late.
            "SCHEDULER_QUEUE_URL": None if self.settings.scheduler_fan_out else "",
        }
        # As under `sam local`: only declared variables reach the function.
        overrides = {
            name: value for name, value in local_overrides.items() if name in declared and value is not None
        }
        # The DynamoDB emulation serves the functions that answer HTTP clients first (local.call_priority).
        priority = (
            {} if function.logical_id in self._answering_http else {"AWS_SDK_UA_APP_ID": BACKGROUND_APP_ID}
        )
        return {**declared, **overrides, **self.aws_environment(), **priority}

    @functools.cached_property
    def _answering_http(self) -> frozenset[str]:
        return frozenset(route.function for route in self.template.http_routes)

    def aws_environment(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ENDPOINT_URL_DYNAMODB": self.dynamodb_endpoint_url,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_SESSION_TOKEN": "local",
        }

    def environment(self) -> dict[str, str]:
        """The union of every function's environment: one process runs them all."""
        union: dict[str, str] = {}
        for function in self.template.functions.values():
            for name, value in self.environment_for(function).items():
                if union.setdefault(name, value) != value:
                    raise RuntimeError(f"functions disagree on {name}; they cannot share one local process")
        return union

    def stop(self) -> None:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(EmulationProcess.stop, (self._dynamodb, self._messaging)))


@contextmanager
def applied_environment(environment: Mapping[str, str]) -> Iterator[None]:
    """Set the variables in this process for as long as the block runs, then put back what was there."""
    previous = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    reset_cached_environment()
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_cached_environment()


def reset_cached_environment() -> None:
    for module_name, hook_path in _RESET_HOOKS:
        hook = sys.modules.get(module_name)
        for attribute in hook_path.split(".") if hook is not None else ():
            hook = getattr(hook, attribute, None)
        if callable(hook):
            hook()


def _flag(value: bool) -> str:
    return "true" if value else "false"
