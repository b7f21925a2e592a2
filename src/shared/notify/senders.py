"""Channel senders: how each channel type carries a notification."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

from shared.domain.alerting import SendResult
from shared.domain.alerting_messages import text_body
from shared.notify.http import post_json

SIGNATURE_HEADER = "X-Healthcheck-Signature"
DELIVERY_HEADER = "X-Healthcheck-Delivery"
SEVERITIES = {"unhealthy": "critical", "degraded": "warning"}

Post = Callable[..., SendResult]


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class WebhookSender:
    def __init__(self, post: Post, *, allow_private_targets: bool, clock: Callable[[], float] = time.time):
        self._post = post
        self._allow = allow_private_targets
        self._clock = clock

    def send(self, channel: dict, notification: dict) -> SendResult:
        body = json.dumps(notification, separators=(",", ":")).encode()
        headers = {
            SIGNATURE_HEADER: sign(channel["signingSecret"], int(self._clock()), body),
            DELIVERY_HEADER: notification["deliveryId"],
        }
        return self._post(channel["config"]["url"], body, headers, allow_private_targets=self._allow)


class SlackSender:
    def __init__(self, post: Post, *, allow_private_targets: bool):
        self._post = post
        self._allow = allow_private_targets

    def send(self, channel: dict, notification: dict) -> SendResult:
        icon = {"healthy": ":large_green_circle:", "degraded": ":large_yellow_circle:"}.get(
            notification["status"], ":red_circle:"
        )
        fields = [f"*System:* {notification['systemName']}", f"*Status:* {notification['status']}"]
        fields.append(f"*Since:* {notification['since']}")
        if notification["checks"]:
            fields.append(f"*Checks:* {notification['checks']}")
        text = f"{icon} *{notification['headline']}*\n" + "\n".join(fields)
        if notification["link"]:
            text += f"\n<{notification['link']}|Open the incident>"
        body = json.dumps({"text": text}).encode()
        return self._post(channel["config"]["webhookUrl"], body, {}, allow_private_targets=self._allow)


class PagerDutySender:
    """Events API v2; the incident id is the dedup key, so PagerDuty folds repeats into one alert."""

    def __init__(self, post: Post, *, allow_private_targets: bool):
        self._post = post
        self._allow = allow_private_targets

    def send(self, channel: dict, notification: dict) -> SendResult:
        action = pagerduty_action(notification["stepKind"], notification["status"])
        event: dict[str, Any] = {
            "routing_key": channel["config"]["routingKey"],
            "event_action": action,
            "dedup_key": notification["incidentId"],
        }
        if action == "trigger":
            event["payload"] = {
                "summary": notification["headline"][:1024],
                "source": notification["systemId"],
                "severity": SEVERITIES.get(notification["status"], "error"),
                "custom_details": {"checks": notification["checks"], "since": notification["since"]},
            }
            if notification["link"]:
                event["links"] = [{"href": notification["link"], "text": "Incident"}]
        body = json.dumps(event).encode()
        return self._post(channel["config"]["url"], body, {}, allow_private_targets=self._allow)


def pagerduty_action(step_kind: str, status: str) -> str:
    if step_kind == "resolve" or (step_kind == "settled" and status == "healthy"):
        return "resolve"
    return "acknowledge" if step_kind == "acknowledge" else "trigger"


class EmailSender:
    """Through an SNS topic (its subscribers get it) or SES (the addresses listed)."""

    def __init__(self, sns_factory: Callable[[], Any], ses_factory: Callable[[], Any]):
        self._sns = sns_factory
        self._ses = ses_factory

    def send(self, channel: dict, notification: dict) -> SendResult:
        config = channel["config"]
        subject = notification["headline"][:100]
        started = time.perf_counter()
        try:
            if config["via"] == "sns":
                self._sns().publish(
                    TopicArn=config["topicArn"], Subject=subject, Message=text_body(notification)
                )
            else:
                self._ses().send_email(
                    Source=config["fromAddress"],
                    Destination={"ToAddresses": config["toAddresses"]},
                    Message={
                        "Subject": {"Data": subject},
                        "Body": {"Text": {"Data": text_body(notification)}},
                    },
                )
        except Exception as error:
            return SendResult(False, None, _ms(started), f"{type(error).__name__}: {error}"[:300])
        return SendResult(True, None, _ms(started))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def default_senders(*, allow_private_targets: bool, post: Post = post_json) -> dict[str, object]:
    from shared import aws

    return {
        "webhook": WebhookSender(post, allow_private_targets=allow_private_targets),
        "slack": SlackSender(post, allow_private_targets=allow_private_targets),
        "pagerduty": PagerDutySender(post, allow_private_targets=allow_private_targets),
        "email": EmailSender(lambda: aws.client("sns"), lambda: aws.client("ses")),
    }
