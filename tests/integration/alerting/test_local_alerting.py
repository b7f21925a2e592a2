"""Issue 13's done-when on the local twin (`make run`): a channel and a policy with `forSeconds`, a
reminder and an escalation; targets flip. Every run goes through the executor, the event bus rule,
the notifications queue, the notifier and the one-time wake-up schedules, in their own processes.

One timeline serves every case (reminders and escalation cannot come sooner than 60 s): web stays
down past its reminder and escalation, billing is acknowledged, quiet is in a suppressing maintenance,
flappy flaps, and db goes down under five dependents."""

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from local.run import start_local_stack
from local.settings import LocalRuntimeSettings
from tests.integration.alerting.receiver import WebhookReceiver, documented_receiver
from tests.integration.twin_http import call as http_call
from tests.integration.twin_http import ok

ADMIN_KEY = "alerting-local-key"
WAIT_SECONDS = 150
REMIND_SECONDS = 60
ESCALATE_SECONDS = 60
FOR_SECONDS = 2
FLAPPY_FOR_SECONDS = 45
DEPENDENTS = [f"app{n}" for n in range(1, 6)]
IMMEDIATE = {"mode": "consecutive", "degradedAfter": 1, "unhealthyAfter": 1, "recoverAfter": 1}

pytestmark = pytest.mark.timeout(420)


class FlippingTargets:
    """Health endpoints on loopback, `/<name>` answering 200 or 500 as told."""

    def __init__(self):
        self.status: dict[str, int] = {}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(owner.status.get(self.path.strip("/"), 200))
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{name}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def stack():
    # No data directory: a kept state (a target port or receiver URL of an earlier start) must not leak in.
    settings = LocalRuntimeSettings(HC_PORT=0, HC_ADMIN_API_KEY=ADMIN_KEY, HC_DATA_DIR=None)
    running = start_local_stack(tick_seconds=3600, settings=settings, event_printer=lambda line: None)
    yield running
    running.stop()


def call(stack, method, path, body=None):
    return http_call(stack.base_url, method, path, body, key=ADMIN_KEY)


def wait_for(condition, seconds: float = WAIT_SECONDS) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def health(stack, system_id: str) -> str:
    return ok(call(stack, "GET", f"/systems/{system_id}/health"))["status"]


def flip(stack, targets, system_id: str, status: str) -> None:
    """Make the system's target answer for `status`, run its check now, and wait for the new health."""
    targets.status[system_id] = 200 if status == "healthy" else 500
    ok(call(stack, "POST", f"/systems/{system_id}/checks/{system_id}/run"))
    assert wait_for(lambda: health(stack, system_id) == status, 60), f"{system_id} never became {status}"


def add_system(stack, targets, system_id: str, depends_on=(), tag: str = "prod") -> None:
    ok(call(stack, "POST", "/systems", {"id": system_id, "name": system_id.title(), "tags": [tag]}))
    if depends_on:
        ok(call(stack, "PATCH", f"/systems/{system_id}", {"dependsOn": list(depends_on)}))
    configuration = {
        "id": system_id,
        "name": system_id,
        "strategyId": "http",
        "config": {"url": targets.url(system_id)},
        "intervalSeconds": 3600,
    }
    ok(call(stack, "POST", "/configurations", configuration))
    ok(call(stack, "PUT", f"/systems/{system_id}/checks/{system_id}", {"stateThresholds": IMMEDIATE}))
    flip(stack, targets, system_id, "healthy")


class Deliveries:
    """What the receiver got, as (systemId, event, channelId, signed at, signature valid)."""

    def __init__(self, receiver, secrets: dict[str, str]):
        self.receiver, self.secrets = receiver, secrets
        self.verify = documented_receiver()["verify"]

    def all(self) -> list[dict]:
        found = []
        for r in list(self.receiver.received):
            body = json.loads(r.body)
            channel = r.headers["X-Healthcheck-Delivery"].rsplit(":", 1)[1]
            signature = r.headers["X-Healthcheck-Signature"]
            found.append(
                {
                    "systemId": body.get("systemId"),
                    "event": body["event"],
                    "channel": channel,
                    "at": int(signature.split(",")[0].removeprefix("t=")),
                    "valid": self.verify(self.secrets[channel], signature, r.body),
                    "delivery": r.headers["X-Healthcheck-Delivery"],
                }
            )
        return found

    def of(self, system_id: str) -> list[tuple[str, str]]:
        return [(d["event"], d["channel"]) for d in self.all() if d["systemId"] == system_id]

    def has(self, system_id: str, event: str, channel: str = "ops") -> bool:
        return (event, channel) in self.of(system_id)


def incident_of(stack, system_id: str) -> dict:
    items = ok(call(stack, "GET", "/incidents?limit=100"))["items"]
    (incident,) = [i for i in items if i["systemId"] == system_id]
    return ok(call(stack, "GET", f"/incidents/{incident['id']}"))


def test_alerting_scenario_on_the_local_twin(stack):
    verify_secrets: dict[str, str] = {}
    targets = FlippingTargets()
    with WebhookReceiver() as receiver:
        # given two webhook channels and one policy with forSeconds, a reminder and an escalation
        for channel in ("ops", "pager"):
            created = ok(
                call(
                    stack,
                    "POST",
                    "/channels",
                    {"id": channel, "name": channel, "type": "webhook", "config": {"url": receiver.url}},
                )
            )
            verify_secrets[channel] = created["signingSecret"]
        policy = {
            "id": "oncall",
            "name": "On call",
            "tags": ["prod"],
            "channelIds": ["ops"],
            "forSeconds": FOR_SECONDS,
            "remindEverySeconds": REMIND_SECONDS,
            "escalations": [{"afterSeconds": ESCALATE_SECONDS, "channelIds": ["pager"]}],
        }
        ok(call(stack, "POST", "/alert-policies", policy))
        # flappy's policy waits longer than one flip can take on a loaded machine, so only flapping speaks
        flapping_policy = {"id": "flaps", "name": "Flaps", "tags": ["flaky"], "channelIds": ["ops"]}
        ok(call(stack, "POST", "/alert-policies", flapping_policy | {"forSeconds": FLAPPY_FOR_SECONDS}))
        for system_id in ("web", "billing", "quiet", "db"):
            add_system(stack, targets, system_id)
        add_system(stack, targets, "flappy", tag="flaky")
        for system_id in DEPENDENTS:
            add_system(stack, targets, system_id, depends_on=["db"])
        now = datetime.now(UTC)
        window = {
            "title": "Planned work",
            "startsAt": (now - timedelta(minutes=1)).isoformat(),
            "endsAt": (now + timedelta(hours=1)).isoformat(),
            "suppressNotifications": True,
        }
        ok(call(stack, "POST", "/systems/quiet/maintenances", window))
        deliveries = Deliveries(receiver, verify_secrets)

        # when the targets fail: web, billing and quiet once, db under its five dependents, flappy flaps
        for system_id in ("web", "billing", "quiet", "db", *DEPENDENTS):
            flip(stack, targets, system_id, "unhealthy")
        for status in ["unhealthy", "healthy"] * 3 + ["unhealthy"]:
            flip(stack, targets, "flappy", status)
        # billing is acknowledged once it paged
        assert wait_for(lambda: deliveries.has("billing", "incident.opened"))
        billing = incident_of(stack, "billing")
        ok(call(stack, "POST", f"/incidents/{billing['id']}/acknowledge"))
        # web stays down until it was reminded and escalated
        assert wait_for(
            lambda: (
                deliveries.has("web", "incident.reminder")
                and deliveries.has("web", "incident.escalated", "pager")
            )
        ), deliveries.all()
        for system_id in ("web", "billing"):
            flip(stack, targets, system_id, "healthy")
        assert wait_for(
            lambda: (
                deliveries.has("web", "incident.resolved", "pager")
                and deliveries.has("web", "incident.resolved")
                and deliveries.has("billing", "incident.resolved")
            )
        ), deliveries.all()
        time.sleep(2)  # anything owed but not yet sent would arrive now
        received = deliveries.all()

    targets.close()
    # then every delivery is signed with its channel's secret, and none is sent twice
    assert all(d["valid"] for d in received)
    assert len({d["delivery"] for d in received}) == len(received)
    # web: one open, a reminder on schedule, an escalation after T, one recovery to each channel it reached
    assert sorted(deliveries.of("web")) == sorted(
        [
            ("incident.opened", "ops"),
            ("incident.reminder", "ops"),
            ("incident.escalated", "pager"),
            ("incident.resolved", "ops"),
            ("incident.resolved", "pager"),
        ]
    )
    web = incident_of(stack, "web")
    opened_at = int(datetime.fromisoformat(web["openedAt"].replace("Z", "+00:00")).timestamp())
    sent = {(d["event"], d["channel"]): d["at"] for d in received if d["systemId"] == "web"}
    assert sent[("incident.opened", "ops")] >= opened_at + FOR_SECONDS - 1
    # a reminder falls due REMIND_SECONDS after the open notice fell due (not after it arrived)
    assert sent[("incident.reminder", "ops")] >= opened_at + FOR_SECONDS + REMIND_SECONDS - 1
    assert sent[("incident.escalated", "pager")] >= opened_at + ESCALATE_SECONDS - 1
    assert web["status"] == "resolved"
    # billing: acknowledged before its reminder and escalation, so neither came (a webhook hears of the
    # acknowledgement from nobody: only PagerDuty channels are told)
    assert deliveries.of("billing") == [("incident.opened", "ops"), ("incident.resolved", "ops")]
    assert incident_of(stack, "billing")["acknowledgedBy"]
    # quiet: held back by its maintenance, recorded
    assert deliveries.of("quiet") == []
    quiet = incident_of(stack, "quiet")
    assert quiet["status"] == "pending"
    assert any("maintenance" in reason for reason in quiet["suppressedBy"])
    # flappy: one flapping notice, not one per flip
    flappy = [event for event, _ in deliveries.of("flappy")]
    assert flappy.count("incident.flapping") == 1
    assert len(flappy) <= 3
    # db and its five dependents: one page, for the root cause
    opened = [d["systemId"] for d in received if d["event"] == "incident.opened"]
    assert opened.count("db") == 1
    assert not set(opened) & set(DEPENDENTS)
    assert all(deliveries.of(system_id) == [] for system_id in DEPENDENTS)
    assert all(incident_of(stack, s)["suppressedBy"] == ["dependency db is unhealthy"] for s in DEPENDENTS)
