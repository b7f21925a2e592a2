"""AWS clients, created lazily on first use and reused across warm invocations.

boto3 honours `AWS_ENDPOINT_URL`, which is all the local runtime changes.
"""

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(
    retries={"max_attempts": 4, "mode": "standard"},
    connect_timeout=2,
    read_timeout=5,
    # The scheduler's shard workers call from 16 threads; the default pool of 10 would churn connections.
    max_pool_connections=32,
)


@cache
def client(service: str) -> Any:
    return boto3.session.Session().client(service, config=_CONFIG)


def dynamodb() -> Any:
    return client("dynamodb")


def sqs() -> Any:
    return client("sqs")


def events() -> Any:
    return client("events")


def reset_clients() -> None:
    """Forget every client (tests and the local runtime point them elsewhere)."""
    client.cache_clear()
