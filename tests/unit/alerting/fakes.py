"""In-memory fakes of the alerting ports, held to the same contract as the DynamoDB store
(tests/integration/alerting/test_store_contract.py runs one suite on both)."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from shared.data.alerting import StaleWriteError
from shared.data.base import Page
from shared.domain.errors import ConflictError, NotFoundError, VersionMismatchError
from shared.services.alerting.context import Alerting
from shared.services.alerting.notifier import DeliveryRetry, handle_message
from shared.services.alerting.ports import SendResult, SystemFacts


class MemoryAlertingStore:
    def __init__(self):
        self.resources: dict[tuple[str, str], dict] = {}
        self.states: dict[str, dict] = {}
        self.incidents: dict[str, dict] = {}
        self.timelines: dict[str, list[dict]] = {}
        self.delivery_items: dict[tuple[str, str, str], dict] = {}

    def create_resource(self, kind, item):
        if (kind, item["id"]) in self.resources:
            raise ConflictError(f"{kind} {item['id']} already exists")
        self.resources[(kind, item["id"])] = copy.deepcopy(item)

    def get_resource(self, kind, resource_id):
        if (kind, resource_id) not in self.resources:
            raise NotFoundError(f"{kind} {resource_id} not found")
        return copy.deepcopy(self.resources[(kind, resource_id)])

    def replace_resource(self, kind, item, *, expected_version):
        stored = self.resources.get((kind, item["id"]))
        if stored is None or stored["version"] != expected_version:
            raise VersionMismatchError(f"{kind} {item['id']} changed since you read it")
        self.resources[(kind, item["id"])] = copy.deepcopy(item)

    def delete_resource(self, kind, resource_id):
        if self.resources.pop((kind, resource_id), None) is None:
            raise NotFoundError(f"{kind} {resource_id} not found")

    def list_resources(self, kind, *, limit, cursor):
        ids = sorted(i for k, i in self.resources if k == kind and (cursor is None or i > cursor))
        page = ids[:limit]
        return Page([self.get_resource(kind, i) for i in page], page[-1] if len(ids) > limit else None)

    def all_resources(self, kind):
        return [copy.deepcopy(v) for (k, _), v in sorted(self.resources.items()) if k == kind]

    def get_channels(self, channel_ids):
        return {i: self.get_resource("channel", i) for i in channel_ids if ("channel", i) in self.resources}

    def get_alert_state(self, system_id):
        return copy.deepcopy(self.states.get(system_id))

    def get_incident(self, incident_id):
        return copy.deepcopy(self.incidents.get(incident_id))

    def save_alerting(self, *, state=None, incident=None, timeline=()):
        for stored, item, key in ((self.states, state, "systemId"), (self.incidents, incident, "id")):
            if item is not None:
                current = stored.get(item[key])
                expected = item["version"] - 1
                if (current is None and item["version"] != 1) or (
                    current is not None and current["version"] != expected
                ):
                    raise StaleWriteError("ConditionalCheckFailed")
        if state is not None:
            self.states[state["systemId"]] = copy.deepcopy(state)
        if incident is not None:
            self.incidents[incident["id"]] = copy.deepcopy(incident)
        for entry in timeline:
            self.timelines.setdefault(entry["incidentId"], []).append(copy.deepcopy(entry))

    def list_incidents(self, *, limit, cursor):
        ordered = sorted(self.incidents.values(), key=lambda i: (i["openedAt"], i["id"]), reverse=True)
        return Page([copy.deepcopy(i) for i in ordered[:limit]], None)

    def timeline(self, incident_id):
        return sorted(copy.deepcopy(self.timelines.get(incident_id, [])), key=lambda e: e["at"])

    def get_delivery(self, incident_id, step, channel_id):
        return copy.deepcopy(self.delivery_items.get((incident_id, step, channel_id)))

    def put_delivery(self, delivery):
        self.delivery_items[(delivery["incidentId"], delivery["step"], delivery["channelId"])] = (
            copy.deepcopy(delivery)
        )

    def deliveries(self, incident_id):
        return [copy.deepcopy(v) for k, v in sorted(self.delivery_items.items()) if k[0] == incident_id]


@dataclass
class FakeSystems:
    systems: dict[str, SystemFacts] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)

    def add(self, system_id, *, tags=(), depends_on=(), check_ids=("web",), maintenances=()):
        self.systems[system_id] = SystemFacts(
            system_id, system_id.title(), list(tags), list(depends_on), list(check_ids), list(maintenances)
        )

    def facts(self, system_id):
        return self.systems.get(system_id)

    def statuses(self, system_ids):
        return {i: self.status.get(i, "unknown") for i in system_ids}


@dataclass
class RecordingSender:
    """Records what it sends; `answers` (a list of SendResults) are used in order, then success."""

    sent: list[tuple[dict, dict]] = field(default_factory=list)
    answers: list[SendResult] = field(default_factory=list)

    def send(self, channel, notification):
        self.sent.append((channel, notification))
        return self.answers.pop(0) if self.answers else SendResult(True, 200, 1.0)


@dataclass
class ListQueue:
    messages: list[dict] = field(default_factory=list)

    def send(self, messages):
        self.messages.extend(json.loads(json.dumps(m)) for m in messages)


@dataclass
class FakeScheduler:
    wakeups: dict[str, tuple[datetime, dict]] = field(default_factory=dict)

    def wake_at(self, name, at, payload):
        self.wakeups[name] = (at, payload)

    def cancel(self, name):
        self.wakeups.pop(name, None)


class PlainEncryptor:
    def encrypt(self, plaintext):
        return "sealed:" + plaintext[::-1]

    def decrypt(self, token):
        return token.removeprefix("sealed:")[::-1]


class Clock:
    def __init__(self, start: datetime | None = None):
        self.now = start or datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class World:
    """Alerting wired to fakes, with helpers to emit transitions, drain the queue and fire wake-ups."""

    alerting: Alerting
    store: MemoryAlertingStore
    systems: FakeSystems
    sender: RecordingSender
    queue: ListQueue
    scheduler: FakeScheduler
    clock: Clock
    dead_letters: list[dict] = field(default_factory=list)

    def transition(self, system_id: str, new_status: str, previous: str = "healthy") -> str:
        from shared.domain.models import format_timestamp

        self.systems.status[system_id] = new_status
        event = {
            "detail-type": "System Health Changed",
            "detail": {
                "systemId": system_id,
                "systemName": system_id.title(),
                "previousStatus": previous,
                "newStatus": new_status,
                "healthyChecks": 0 if new_status != "healthy" else 1,
                "totalChecks": 1,
                "suppressed": False,
                "timestamp": format_timestamp(self.clock()),
            },
        }
        return handle_message(self.alerting, event, attempt=1)

    def drain(self, *, max_rounds: int = 50) -> None:
        """Deliver queued messages; a failed one is retried after its back-off (the clock advances)."""
        attempts: dict[str, int] = {}
        for _ in range(max_rounds):
            if not self.queue.messages:
                return
            message = self.queue.messages.pop(0)
            key = json.dumps(message, sort_keys=True)
            attempts[key] = attempts.get(key, 0) + 1
            try:
                handle_message(self.alerting, message, attempt=attempts[key])
            except DeliveryRetry as retry:
                if retry.final:
                    self.dead_letters.append(message)
                else:
                    self.clock.advance(retry.delay_seconds)
                    self.queue.messages.append(message)

    def run_until(self, seconds: float, *, step: float = 10) -> None:
        """Advance the clock, firing due wake-ups and draining deliveries as the twin's loops do."""
        end = self.clock.now + timedelta(seconds=seconds)
        while self.clock.now < end:
            self.clock.advance(min(step, (end - self.clock.now).total_seconds()))
            for name, (at, payload) in list(self.scheduler.wakeups.items()):
                if at <= self.clock.now:
                    self.scheduler.wakeups.pop(name, None)
                    handle_message(self.alerting, payload, attempt=1)
            self.drain()

    def sent_kinds(self, channel_id: str | None = None) -> list[str]:
        return [n["stepKind"] for c, n in self.sender.sent if channel_id is None or c["id"] == channel_id]


def world() -> World:
    store, systems, sender = MemoryAlertingStore(), FakeSystems(), RecordingSender()
    queue, scheduler, clock = ListQueue(), FakeScheduler(), Clock()
    alerting = Alerting(
        store=store,
        systems=systems,
        senders={t: sender for t in ("webhook", "slack", "email", "pagerduty")},
        queue=queue,
        scheduler=scheduler,
        encryptor=PlainEncryptor(),
        clock=clock,
        max_delivery_attempts=4,
    )
    return World(alerting, store, systems, sender, queue, scheduler, clock)
