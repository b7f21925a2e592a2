"""What a notification says, independent of the channel that carries it."""

from __future__ import annotations

HEADLINES = {
    "open": "{name} is {status}",
    "remind": "Reminder: {name} is still {status}",
    "escalate": "Escalation: {name} is {status} and nobody has acknowledged",
    "resolve": "{name} recovered",
    "flapping": "{name} is flapping: notices paused until it settles",
    "settled": "{name} stopped flapping and is {status}",
    "acknowledge": "{name}: incident acknowledged",
    "test": "Test notification from Serverless Healthcheck",
}
EVENT_NAMES = {
    "open": "incident.opened",
    "remind": "incident.reminder",
    "escalate": "incident.escalated",
    "resolve": "incident.resolved",
    "flapping": "incident.flapping",
    "settled": "incident.settled",
    "acknowledge": "incident.acknowledged",
    "test": "channel.test",
}


def notification_for(incident: dict, step_kind: str, step: str, channel_id: str, *, link_base: str) -> dict:
    """The channel-neutral notification of one step of an incident."""
    status = incident["healthStatus"]
    checks = None
    if incident.get("totalChecks") is not None:
        failing = incident["totalChecks"] - (incident.get("healthyChecks") or 0)
        checks = f"{failing} of {incident['totalChecks']} checks not healthy"
    return {
        "event": EVENT_NAMES[step_kind],
        "deliveryId": f"{incident['id']}:{step}:{channel_id}",
        "incidentId": incident["id"],
        "systemId": incident["systemId"],
        "systemName": incident["systemName"],
        "status": status,
        "incidentStatus": incident["status"],
        "since": incident["openedAt"],
        "checks": checks,
        "headline": HEADLINES[step_kind].format(name=incident["systemName"], status=status),
        "link": f"{link_base.rstrip('/')}/incidents/{incident['id']}" if link_base else None,
        "stepKind": step_kind,
    }


def text_body(notification: dict) -> str:
    lines = [notification["headline"], f"System: {notification['systemName']} ({notification['systemId']})"]
    lines.append(f"Status: {notification['status']} since {notification['since']}")
    if notification["checks"]:
        lines.append(f"Checks: {notification['checks']}")
    if notification["link"]:
        lines.append(notification["link"])
    return "\n".join(lines)
