"""Delivering one queued notification (incident + step + channel) at most once per success.

A delivery already marked `sent` is skipped, so duplicate messages send nothing. A crash between
the send and its log entry means the next attempt sends again with the same delivery id and the
channel's own dedup key (the incident id for PagerDuty), which receivers use to drop the repeat.
A failed attempt raises `DeliveryRetry` with its back-off; the last one is logged on the incident
and raised too, so the queue moves the message to its dead-letter queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain import alerting as rules
from shared.domain.alerting_messages import notification_for
from shared.domain.errors import NotFoundError
from shared.domain.models import format_timestamp
from shared.observability import logger
from shared.services.alerting.channels import unsealed_channel
from shared.services.alerting.context import Alerting

STEP_VERBS = {
    rules.OPEN_STEP: "notified",
    "remind": "reminded",
    "escalate": "escalated",
    rules.RESOLVE_STEP: "recovery sent",
    rules.FLAPPING_STEP: "flapping notice sent",
    rules.SETTLED_STEP: "settled notice sent",
    "acknowledge": "acknowledgement sent",
}


class DeliveryRetry(Exception):
    """A delivery attempt failed in a way worth retrying after `delay_seconds`."""

    def __init__(self, message: str, delay_seconds: int, *, final: bool):
        super().__init__(message)
        self.delay_seconds = delay_seconds
        self.final = final


@dataclass(frozen=True)
class DeliveryOutcome:
    outcome: str  # sent | duplicate | dropped | skipped | failed


def deliver(a: Alerting, message: dict, *, attempt: int) -> DeliveryOutcome:
    """Send one queued delivery; attempt counts from 1 (the queue's receive count)."""
    incident_id, step, channel_id = message["incidentId"], message["step"], message["channelId"]
    delivery = a.store.get_delivery(incident_id, step, channel_id)
    if delivery and delivery["status"] in ("sent", "failed"):
        return DeliveryOutcome("duplicate")
    incident = a.store.get_incident(incident_id)
    if incident is None:
        return DeliveryOutcome("dropped")
    at = format_timestamp(a.clock())
    channel = a.store.get_channels([channel_id]).get(channel_id)
    if channel is None:
        _log(a, incident_id, step, channel_id, delivery, attempt, at, None, "channel deleted", "failed")
        a.store.save_alerting(
            timeline=[_timeline(incident_id, at, step, channel_id, "not sent: channel deleted")]
        )
        return DeliveryOutcome("dropped")
    if message["stepKind"] == "acknowledge" and channel["type"] != "pagerduty":
        return DeliveryOutcome("skipped")
    notification = notification_for(incident, message["stepKind"], step, channel_id, link_base=a.link_base)
    result = a.senders[channel["type"]].send(unsealed_channel(a, channel), notification)
    final = attempt >= a.max_delivery_attempts or not result.retryable
    status = "sent" if result.delivered else ("failed" if final else "pending")
    _log(a, incident_id, step, channel_id, delivery, attempt, at, result, result.error, status)
    if result.delivered:
        verb = STEP_VERBS.get(message["stepKind"], "sent")
        a.store.save_alerting(
            timeline=[_timeline(incident_id, at, step, channel_id, f"{verb} on {channel['name']}")]
        )
        return DeliveryOutcome("sent")
    logger.warning("delivery failed", incident_id=incident_id, channel_id=channel_id, attempt=attempt)
    if final:
        text = f"delivery to {channel['name']} failed after {attempt} attempts: {result.error}"
        a.store.save_alerting(
            timeline=[_timeline(incident_id, at, step, channel_id, text, kind="deliveryFailed")]
        )
        if not result.retryable:
            return DeliveryOutcome("failed")
    raise DeliveryRetry(result.error or "delivery failed", rules.retry_delay_seconds(attempt), final=final)


def _log(a, incident_id, step, channel_id, delivery, attempt, at, result, error, status) -> None:
    entry = {
        "attempt": attempt,
        "at": at,
        "statusCode": result.status_code if result else None,
        "latencyMs": result.latency_ms if result else None,
        "error": error,
    }
    previous = (delivery or {}).get("attempts", [])
    a.store.put_delivery(
        {
            "incidentId": incident_id,
            "step": step,
            "channelId": channel_id,
            "status": status,
            "attempts": [*previous, entry],
        }
    )


def _timeline(
    incident_id: str, at: str, step: str, channel_id: str, message: str, kind: str = "delivered"
) -> dict:
    return {
        "incidentId": incident_id,
        "at": at,
        "kind": kind,
        "message": message,
        "channelId": channel_id,
        "step": step,
    }


def deliveries_of(a: Alerting, incident_id: str) -> list[dict]:
    """The delivery log of an incident: one entry per step and channel, with every attempt."""
    if a.store.get_incident(incident_id) is None:
        raise NotFoundError(f"incident {incident_id} not found")
    return a.store.deliveries(incident_id)
