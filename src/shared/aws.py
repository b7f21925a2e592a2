"""AWS clients, created lazily on first use and reused across warm invocations.

boto3 honours `AWS_ENDPOINT_URL`, which is all the local runtime changes. A process's clients come
from one session, so the endpoint data and service models it parses are parsed once, not once per
client; a session is not thread-safe, so clients are created under a lock (the clients themselves are).
"""

import threading
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
    # The service validates every request anyway; botocore's client-side walk of each request's shape
    # was ~8 % of a satellite ingest's CPU (py-spy, local soak).
    parameter_validation=False,
)
_LOCK = threading.RLock()


def session() -> boto3.session.Session:
    """The session every client of this process comes from."""
    with _LOCK:
        return _session()


@cache
def _session() -> boto3.session.Session:
    return boto3.session.Session()


def client(service: str) -> Any:
    with _LOCK:
        return _client(service)


@cache
def _client(service: str) -> Any:
    return _session().client(service, config=_CONFIG)


def dynamodb() -> Any:
    return client("dynamodb")


def sqs() -> Any:
    return client("sqs")


def events() -> Any:
    return client("events")


def reset_clients() -> None:
    """Forget every client and the session (tests and the local runtime point them elsewhere)."""
    with _LOCK:
        _client.cache_clear()
        _session.cache_clear()
