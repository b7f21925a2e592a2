"""Two executors recording runs of one system at the same moment: one transition, one event."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime

from shared import aws
from shared.data.repository import Repository
from shared.events import SYSTEM_HEALTH_CHANGED
from shared.services.context import default_collaborators
from shared.services.recording import RunInput, record_run
from tests.integration.pipeline.conftest import http_check


class AtomicStore:
    """moto applies a transaction's conditions without a lock; DynamoDB applies each call atomically.
    Serialising calls gives the test DynamoDB's semantics while the writers still race on versions."""

    def __init__(self, client):
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name):
        call = getattr(self._client, name)

        def atomic(*args, **kwargs):
            with self._lock:
                return call(*args, **kwargs)

        return atomic


def failing_run(run_id: str, configuration_id: str) -> RunInput:
    return RunInput(
        run_id=run_id,
        system_id="shop",
        configuration_id=configuration_id,
        source_id="local",
        source_label="Local",
        status="unhealthy",
        latency_ms=12.5,
        timestamp=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    )


def test_concurrent_executors_emit_one_event_per_transition(stack, target):
    # given: two checks of one system, both healthy so far unknown
    http_check(stack, target, configuration_id="a")
    stack.call(
        "POST",
        "/configurations",
        {"id": "b", "name": "B", "strategyId": "http", "config": {"url": target.url}, "intervalSeconds": 60},
    )
    stack.call("PUT", "/systems/shop/checks/b", {})
    shared = default_collaborators()
    atomic = Repository(AtomicStore(aws.dynamodb()), shared.settings.table_name)
    collaborators = replace(shared, repository=atomic)
    start = threading.Barrier(2)
    snapshot = collaborators.repository.system_snapshot
    outcomes = []

    first_reads = iter(range(2))

    def read_together(system_id):
        taken = snapshot(system_id)
        if next(first_reads, None) is not None:
            start.wait(timeout=10)  # both writers read the same state version before either writes
        return taken

    collaborators.repository.system_snapshot = read_together

    def record(run: RunInput) -> None:
        outcomes.append(record_run(collaborators, run).outcome)

    # when
    threads = [threading.Thread(target=record, args=(failing_run(f"run-{c}", c),)) for c in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # then
    assert sorted(outcomes) == ["recorded", "recorded"]
    changes = stack.published.of_type(SYSTEM_HEALTH_CHANGED)
    assert [(e["previousStatus"], e["newStatus"]) for e in changes] == [("unknown", "degraded")]
    view = stack.call("GET", "/systems/shop/health").body
    assert {c["configurationId"]: c["status"] for c in view["checks"]} == {"a": "degraded", "b": "degraded"}
    transitions = stack.call("GET", "/systems/shop/transitions").body["items"]
    assert len(transitions) == 1
