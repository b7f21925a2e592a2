"""A latency-injected store on a simulated clock: the real code's AWS calls cost their typical
latency in simulated seconds, so a 100,000-check tick is sized without taking real minutes.

`LatencyInjected(client, clock)` wraps any low-level client (a boto3 client on moto, or the fast
fakes of bench/fake_aws.py), counts its calls by API name and charges each one's typical latency
to the simulated clock. `SimulatedClock.parallel(workers)` stands in for a thread pool: tasks run
one after another in real time but on `workers` simulated lanes (each task starts on the lane that
frees first, as a pool would hand it out), and the caller resumes when the last lane is done. The
code under test takes that clock as its clock and that map as its parallel map.

Latency only: client CPU (serialising, signing, parsing) is not charged to the lanes. It is
measured by `client_cpu_ms_per_call` and bounds what one process can do, whatever its threads.
The table below is the one documented in docs/benchmarks.md.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bench.sizes import scaled

CPU_SAMPLE_CALLS = scaled(2_000, 20)  # UpdateItem calls timed by client_cpu_ms_per_call

# Typical latencies (ms) of one call, as issue 12 measured them; the rest are assumptions.
TYPICAL_LATENCY_MS = {
    "Query": 8.0,
    "UpdateItem": 5.0,
    "BatchGetItem": 8.0,
    "SendMessageBatch": 10.0,
    "TransactWriteItems": 15.0,
    "PutEvents": 15.0,
    # assumed, not measured: single-item calls as UpdateItem, batch writes as BatchGetItem
    "GetItem": 5.0,
    "PutItem": 5.0,
    "DeleteItem": 5.0,
    "BatchWriteItem": 8.0,
    "SendMessage": 10.0,
}


class SimulatedClock:
    """Simulated seconds since `start`; the code under test reads it as its clock."""

    def __init__(self, start: datetime):
        self.start = start
        self.elapsed = 0.0

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    def charge(self, seconds: float) -> None:
        self.elapsed += seconds

    def parallel(self, workers: int) -> Callable[[Callable[[Any], Any], list[Any]], list[Any]]:
        """A parallel map over `workers` simulated lanes (see the module docstring)."""

        def run(function: Callable[[Any], Any], items: list[Any]) -> list[Any]:
            began = self.elapsed
            lanes = [began] * max(1, min(workers, len(items)))
            results = []
            for item in items:
                lane = lanes.index(min(lanes))
                self.elapsed = lanes[lane]
                results.append(function(item))
                lanes[lane] = self.elapsed
            self.elapsed = max([began, *lanes])
            return results

        return run

    def budget(self, seconds: float) -> Callable[[], float]:
        """What `context.get_remaining_time_in_millis() / 1000` says in an invocation starting now."""
        started = self.elapsed
        return lambda: seconds - (self.elapsed - started)


class LatencyInjected:
    """Forwards every call to `client`, counting it and charging its typical latency to `clock`."""

    def __init__(self, client: Any, clock: SimulatedClock, latency_ms: dict[str, float] | None = None):
        self._client = client
        self._clock = clock
        self._latency_ms = latency_ms or TYPICAL_LATENCY_MS
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._client, name)
        if not callable(target) or name.startswith("_") or name in ("can_paginate", "get_paginator"):
            return target
        operation = _api_name(name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[operation] += 1
            self._clock.charge(self._latency_ms[operation] / 1000)
            return target(*args, **kwargs)

        return call


def _api_name(method: str) -> str:
    return "".join(part.capitalize() for part in method.split("_"))


def client_cpu_ms_per_call(calls: int = CPU_SAMPLE_CALLS) -> float:
    """CPU milliseconds boto3 spends on one UpdateItem here (build, sign, parse; no network)."""
    import boto3
    from botocore.awsrequest import AWSResponse

    class _Body:
        def stream(self, **_: Any):
            yield b"{}"

        def read(self, *_: Any, **__: Any) -> bytes:
            return b"{}"

    session = boto3.session.Session(
        aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1"
    )
    client = session.client("dynamodb")
    client.meta.events.register(
        "before-send.dynamodb",
        lambda request, **_: AWSResponse(
            request.url, 200, {"content-type": "application/x-amz-json-1.0"}, _Body()
        ),
    )
    started = time.process_time()
    for n in range(calls):
        client.update_item(
            TableName="bench",
            Key={"pk": {"S": f"SYSTEM#{n}"}, "sk": {"S": "CHECK#bench"}},
            UpdateExpression="SET nextDueAt = :next, dueShard = :shard",
            ConditionExpression="nextDueAt = :seen",
            ExpressionAttributeValues={":next": {"N": "2"}, ":seen": {"N": "1"}, ":shard": {"S": "DUE#1"}},
        )
    return (time.process_time() - started) / calls * 1000


def latency_table_markdown() -> str:
    lines = ["| call | simulated latency (ms) |", "|---|---|"]
    lines += [f"| {name} | {ms:g} |" for name, ms in TYPICAL_LATENCY_MS.items()]
    return "\n".join(lines)
