"""Routing one notifications-queue message to the service that handles it."""

from __future__ import annotations

from shared.events import SYSTEM_HEALTH_CHANGED
from shared.observability import logger, metrics
from shared.services.alerting import incidents, steps
from shared.services.alerting.context import Alerting
from shared.services.alerting.delivery import DeliveryRetry, deliver

__all__ = ["DeliveryRetry", "handle_message"]


def handle_message(a: Alerting, body: dict, *, attempt: int) -> str:
    """A transition event, a wake-up, or a delivery; returns what happened."""
    if body.get("detail-type") == SYSTEM_HEALTH_CHANGED:
        incident_id = incidents.handle_transition(a, body["detail"])
        return f"transition:{incident_id or 'none'}"
    if body.get("kind") == "wake":
        done = steps.advance(a, body["incidentId"])
        return f"wake:{len(done)}"
    if body.get("kind") == "deliver":
        outcome = deliver(a, body, attempt=attempt).outcome
        metrics.add_metric(
            name="NotificationDelivered" if outcome == "sent" else "NotificationSkipped",
            unit="Count",
            value=1,
        )
        return f"deliver:{outcome}"
    logger.warning("unknown notification message", keys=sorted(body))
    return "ignored"
