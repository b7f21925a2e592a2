"""What a badge says about a system: its status, its uptime over a window, its latency over 24 h.
Only for systems listed on a public status page, or every system when HC_PUBLIC_STATUS is on."""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain.errors import NotFoundError
from shared.services import availability, health_read
from shared.services.context import Collaborators
from shared.services.status_page_view import system_card
from shared.web.colours import NO_DATA, STATUS_COLOURS, STATUS_LABELS, availability_colour


@dataclass(frozen=True)
class BadgeText:
    label: str
    value: str
    colour: str


def _require_public(c: Collaborators, system_id: str) -> None:
    if not c.settings.public_status and not c.repository.system_on_public_page(system_id):
        raise NotFoundError(f"no public status for system {system_id}")


def status_badge(c: Collaborators, system_id: str) -> BadgeText:
    """The system's current status."""
    _require_public(c, system_id)
    status = health_read.system_health(c, system_id)["status"]
    return BadgeText("status", STATUS_LABELS[status].lower(), STATUS_COLOURS[status])


def uptime_badge(c: Collaborators, system_id: str, window: str) -> BadgeText:
    """Availability over `window` (24h, 7d, 30d, 90d, 365d), from the system's transitions."""
    _require_public(c, system_id)
    share = availability.availability(c, system_id, start=None, end=None, window=window).availability
    value = "no data" if share is None else f"{share * 100:.2f}%".replace(".00%", "%")
    return BadgeText(f"uptime {window}", value, availability_colour(share))


def latency_badge(c: Collaborators, system_id: str) -> BadgeText:
    """Average latency over the last 24 hours, from the hourly tier."""
    _require_public(c, system_id)
    health = health_read.system_health(c, system_id)
    card = system_card(c, system_id, health["evaluatedAt"])
    points = [p for p in card["latency24h"] if p["avgMs"] is not None]
    if not points:
        return BadgeText("latency 24h", "no data", NO_DATA)
    avg = sum(p["avgMs"] for p in points) / len(points)
    return BadgeText("latency 24h", f"{avg:.0f} ms", STATUS_COLOURS["healthy"])
