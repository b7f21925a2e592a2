"""Channel senders against real sockets on loopback: answers, faults and the SSRF guard; and the
message each channel type carries."""

import json
import socket
import threading
import time

import pytest

from shared.notify.http import post_json
from shared.notify.senders import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    PagerDutySender,
    SlackSender,
    WebhookSender,
)
from shared.services.alerting.ports import SendResult
from tests.integration.alerting.receiver import WebhookReceiver, documented_receiver

NOTIFICATION = {
    "event": "incident.opened",
    "deliveryId": "inc-1:p:open:ops",
    "incidentId": "inc-1",
    "systemId": "web",
    "systemName": "Web",
    "status": "unhealthy",
    "incidentStatus": "open",
    "since": "2026-01-05T12:00:00.000Z",
    "checks": "1 of 2 checks not healthy",
    "headline": "Web is unhealthy",
    "link": None,
    "stepKind": "open",
}


@pytest.mark.parametrize(
    ("status", "delivered", "retryable"),
    [(204, True, True), (500, False, True), (429, False, True), (404, False, False)],
)
def test_answers_decide_delivered_and_retryable(status, delivered, retryable):
    # given
    with WebhookReceiver(statuses=[status]) as receiver:
        # when
        result = post_json(receiver.url, b"{}", {}, allow_private_targets=True)
    # then
    assert (result.delivered, result.status_code, result.retryable) == (delivered, status, retryable)
    assert result.latency_ms is not None


def test_a_refused_connection_is_a_retryable_failure():
    # given a port nobody listens on
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # when
    result = post_json(f"http://127.0.0.1:{port}/x", b"{}", {}, allow_private_targets=True)
    # then
    assert not result.delivered and result.retryable and result.status_code is None


def test_a_hanging_target_times_out_as_a_retryable_failure():
    # given a listener that accepts and never answers
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    try:
        # when
        result = post_json(
            f"http://127.0.0.1:{server.getsockname()[1]}/x",
            b"{}",
            {},
            allow_private_targets=True,
            timeout_seconds=0.3,
        )
    finally:
        server.close()
    # then
    assert not result.delivered and result.retryable
    assert "no answer" in result.error


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "http://localhost:9/x", "http://[::1]:9/x"])
def test_private_targets_are_refused_at_send_time_and_not_retried(url):
    # when
    result = post_json(url, b"{}", {}, allow_private_targets=False)
    # then
    assert not result.delivered and not result.retryable
    assert "TARGET_FORBIDDEN" in result.error


def test_a_webhook_is_signed_with_the_channel_secret_and_names_its_delivery():
    # given
    verify = documented_receiver()["verify"]
    channel = {"config": {"url": "unused"}, "signingSecret": "whsec_abc"}
    calls = []
    sender = WebhookSender(
        lambda *a, **k: calls.append((a, k)) or SendResult(True, 200), allow_private_targets=False
    )
    # when
    sender.send(channel, NOTIFICATION)
    # then
    (((_, body, headers), _),) = calls
    assert verify("whsec_abc", headers[SIGNATURE_HEADER], body)
    assert not verify("whsec_abc", headers[SIGNATURE_HEADER], body + b" ")
    assert not verify("whsec_abc", headers[SIGNATURE_HEADER], body, now=time.time() + 3600)
    assert headers[DELIVERY_HEADER] == "inc-1:p:open:ops"
    assert json.loads(body) == NOTIFICATION


def test_slack_gets_a_readable_message():
    # given
    calls = []
    sender = SlackSender(
        lambda *a, **k: calls.append(a) or SendResult(True, 200), allow_private_targets=False
    )
    # when
    sender.send({"config": {"webhookUrl": "https://hooks.slack.com/services/x"}}, NOTIFICATION)
    # then
    ((url, body, _),) = calls
    text = json.loads(body)["text"]
    assert url == "https://hooks.slack.com/services/x"
    assert "Web is unhealthy" in text and "1 of 2 checks not healthy" in text and "2026-01-05T12:00" in text


@pytest.mark.parametrize(
    ("kind", "status", "action"),
    [
        ("open", "unhealthy", "trigger"),
        ("remind", "unhealthy", "trigger"),
        ("acknowledge", "unhealthy", "acknowledge"),
        ("resolve", "healthy", "resolve"),
        ("settled", "healthy", "resolve"),
    ],
)
def test_pagerduty_uses_events_v2_with_the_incident_as_dedup_key(kind, status, action):
    # given
    calls = []
    sender = PagerDutySender(
        lambda *a, **k: calls.append(a) or SendResult(True, 202), allow_private_targets=False
    )
    channel = {"config": {"routingKey": "R", "url": "https://events.pagerduty.com/v2/enqueue"}}
    # when
    sender.send(channel, NOTIFICATION | {"stepKind": kind, "status": status})
    # then
    ((_, body, _),) = calls
    event = json.loads(body)
    assert (event["routing_key"], event["event_action"], event["dedup_key"]) == ("R", action, "inc-1")
    assert ("payload" in event) == (action == "trigger")
