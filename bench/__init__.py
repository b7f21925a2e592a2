"""Benchmarks: speed and cost goals measured as same-run ratios and call counts, never absolute times.

`python -m bench` runs every module and prints one table (docs/benchmarks.md). Each module exposes
`rows() -> list[dict]`. The helpers below are the in-process stack the AWS-backed modules share: moto's
mock with the tables of template.yaml (as tests/integration/api/stack.py builds them), the real
handlers, and a counter of DynamoDB calls. Heavy imports stay inside the functions, so importing
`bench` costs nothing (cold_start and probe_throughput's child processes import it too).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

FAKE_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_SERVICE_NAME": "healthcheck",
    "POWERTOOLS_METRICS_NAMESPACE": "Healthcheck",
    "POWERTOOLS_DEV": "false",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


def use_fake_aws() -> None:
    """Fake credentials before any client exists, and moto imported first (PITFALLS.md: moto)."""
    import moto  # noqa: F401  (must come before any boto3 client)

    os.environ.update(FAKE_AWS_ENVIRONMENT)
    for ambient in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(ambient, None)


class DynamoCalls:
    """Counts DynamoDB API calls (not retries) made through the process-wide client of `shared.aws`.
    `attach()` again after anything that resets the clients."""

    def __init__(self) -> None:
        self.by_operation: Counter[str] = Counter()

    @property
    def total(self) -> int:
        return sum(self.by_operation.values())

    def attach(self) -> None:
        from shared import aws

        aws.dynamodb().meta.events.register(
            "before-call.dynamodb", self._count, unique_id="bench-dynamo-calls"
        )

    def _count(self, model: Any, **_: Any) -> None:
        self.by_operation[model.name] += 1

    def since(self, before: Counter[str]) -> Counter[str]:
        return self.by_operation - before

    def snapshot(self) -> Counter[str]:
        return Counter(self.by_operation)


def describe(calls: Counter[str]) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(calls.items())) or "none"


class _ShallowTableBackup:
    """Stands in for the `copy` module inside moto's DynamoDB backend. moto deep-copies the whole table
    once per item of every TransactWriteItems as its rollback backup, which makes each transaction cost
    O(table size) and seeding 1,000 systems quadratic (minutes). Tables are snapshotted by their item
    containers instead; items stay shared, so a rollback would not undo an in-place update. The stack
    counts cancelled transactions (`rollbacks`) so a module can refuse figures taken after one."""

    def __init__(self) -> None:
        import copy

        self._copy = copy
        self.rollbacks = 0

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        if not isinstance(value, Table):
            return self._copy.deepcopy(value, memo)
        clone = self._copy.copy(value)
        clone.items = type(value.items)(value.items.default_factory)
        for hash_value, stored in value.items.items():
            clone.items[hash_value] = dict(stored) if value.has_range_key else stored
        return clone


@contextmanager
def _cheap_transaction_backups() -> Iterator[_ShallowTableBackup]:
    from unittest import mock

    from moto.dynamodb import models

    shim = _ShallowTableBackup()
    real = models.DynamoDBBackend.transact_write_items

    def counted(backend: Any, *args: Any, **kwargs: Any) -> None:
        try:
            return real(backend, *args, **kwargs)
        except Exception:
            shim.rollbacks += 1
            raise

    with (
        mock.patch.object(models, "copy", shim),
        mock.patch.object(models.DynamoDBBackend, "transact_write_items", counted),
    ):
        yield shim


@contextmanager
def in_process_stack(**env: str) -> Iterator[tuple[Any, DynamoCalls]]:
    """The stack of tests/integration/api/stack.py inside `mock_aws`, with `env` over its settings;
    yields it and a DynamoDB call counter already attached. The environment is restored afterwards.
    `stack.moto_backups.rollbacks` counts cancelled transactions (see `_ShallowTableBackup`)."""
    use_fake_aws()
    from moto import mock_aws

    from local.http_gateway import RouteTable
    from local.template import Template
    from tests.integration.api.stack import Stack, create_resources, environment, reset_process_state
    from tests.moto_serial import serialised_requests

    saved = dict(os.environ)
    template = Template.load()
    calls = DynamoCalls()
    try:
        with mock_aws(), serialised_requests(), _cheap_transaction_backups() as backups:
            queue_url = create_resources(template)
            stack = Stack(template=template, routes=RouteTable(template.http_routes), queue_url=queue_url)
            stack.moto_backups = backups
            reconfigure(stack, calls, **(environment(queue_url) | env))
            yield stack, calls
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_process_state()


def reconfigure(stack: Any, calls: DynamoCalls, **env: str) -> None:
    """Change settings as a new process would see them; collaborators and clients are rebuilt."""
    from shared.services import context
    from tests.integration.api.stack import apply

    apply(env)
    context.default_collaborators().publisher = stack.published
    calls.attach()
