"""Invoking a template function in this process as the Lambda runtime would: handler, context, deadline."""

from __future__ import annotations

import importlib
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from local.template import LOCAL_ACCOUNT_ID, LambdaFunction


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def lambda_context_for(function: LambdaFunction, region: str) -> LambdaContext:
    return LambdaContext(
        function_name=function.logical_id,
        memory_limit_in_mb=function.memory_mb,
        invoked_function_arn=f"arn:aws:lambda:{region}:{LOCAL_ACCOUNT_ID}:function:{function.logical_id}",
        timeout_seconds=function.timeout_seconds,
    )


def load_handler(function: LambdaFunction):
    """Import the handler named in the template; imported lazily so a missing module fails one invocation."""
    module = importlib.import_module(function.module_name)
    return getattr(module, function.handler_attribute)


# One invocation at a time per function, as in one Lambda execution environment: handlers keep
# module-level state (logger keys, metrics) that is not meant to be shared by concurrent invocations.
_invocation_locks: dict[str, threading.Lock] = {}


def invoke_function(function: LambdaFunction, event: dict, region: str = "us-east-1") -> Any:
    handler = load_handler(function)
    with _invocation_locks.setdefault(function.logical_id, threading.Lock()):
        return handler(event, lambda_context_for(function, region))
