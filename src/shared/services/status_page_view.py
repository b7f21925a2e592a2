"""Building what a status page shows: the page's settings, each system's health through the status
cache, per system a card (90 daily bars, 24 h of hourly latency, maintenance windows), and open and
recent incidents from the alerting store."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta

from shared.domain import aggregates
from shared.domain.errors import NotFoundError
from shared.domain.status_pages import (
    BAR_DAYS,
    StatusPageRendered,
    StatusPageView,
    day_availability,
    overall_status,
)
from shared.domain.wire import format_timestamp, parse_timestamp
from shared.observability import logger
from shared.services import health_read
from shared.services.context import Collaborators
from shared.services.ports import IncidentsReader
from shared.services.rollup import ROLLED_AFTER_DAYS
from shared.services.status_page_cache import card_key, page_cache, page_key, render_key

MAINTENANCE_HORIZON = timedelta(days=7)
RECENT_INCIDENTS = timedelta(days=7)


def load_page(c: Collaborators, slug: str) -> StatusPageView:
    """A page's settings through the cache; NotFoundError when there is no such page."""
    page = page_cache(c).wrap(page_key(slug), lambda: _stored_settings(c, slug))
    if page is None:
        raise NotFoundError(f"status page {slug} not found")
    return StatusPageView.model_validate(page)


def _stored_settings(c: Collaborators, slug: str) -> dict | None:
    """The page's stored attributes, as the cache keeps them."""
    page = c.repository.get_status_page(slug)
    return page.to_item() if page is not None else None


def rendered_page(
    c: Collaborators,
    page: StatusPageView,
    render: Callable[[StatusPageRendered], str],
    *,
    kind: str,
    incidents: IncidentsReader | None = None,
) -> str:
    """The page rendered by `render`, cached under a key naming everything it shows: the page's
    version, each system's health evaluation, the incidents shown and the minute. A render also
    keeps the next moment a maintenance window it knows of starts, ends or comes into view, and is
    not served past it; a maintenance change drops every cached page (`catalog`)."""
    now = c.clock()
    health = health_read.health_batch(c, [s.system_id for s in page.systems])["statuses"]
    found = _read_incidents(incidents, page, now)
    shown = [page.version, page.updated_at.isoformat(), now.strftime("%Y%m%d%H%M"), found]
    shown += [(s, health[s]["evaluatedAt"]) for s in sorted(health)]
    key = render_key(page.slug, kind, hashlib.sha256(json.dumps(shown).encode()).hexdigest()[:32])

    def build() -> dict:
        model, fresh_until = _build(c, page, found, health, now)
        return {"body": render(model), "freshUntil": fresh_until}

    cached = page_cache(c).wrap(key, build)
    if cached["freshUntil"] and now >= parse_timestamp(cached["freshUntil"]):
        page_cache(c).invalidate(key)
        return build()["body"]
    return cached["body"]


def render_model(
    c: Collaborators,
    page: StatusPageView,
    incidents: IncidentsReader | None = None,
    *,
    health: dict[str, dict] | None = None,
) -> StatusPageRendered:
    """Everything the page shows, as one model (the JSON twin and the HTML's input)."""
    now = c.clock()
    if health is None:
        health = health_read.health_batch(c, [s.system_id for s in page.systems])["statuses"]
    return _build(c, page, _read_incidents(incidents, page, now), health, now)[0]


def _build(
    c: Collaborators,
    page: StatusPageView,
    incidents: list[dict] | None,
    health: dict[str, dict],
    now: datetime,
) -> tuple[StatusPageRendered, str | None]:
    """The model, and when what it shows of maintenance windows next changes (None: never)."""
    ids = [s.system_id for s in page.systems]
    wanted = {card_key(s, health[s]["evaluatedAt"]): s for s in ids if s in health}

    def load_cards(missing: list[str]) -> dict[str, dict]:
        return {key: _card(c, wanted[key], now) for key in missing}

    cards = page_cache(c).wrap_many(list(wanted), load_cards)
    by_system = {wanted[key]: card for key, card in cards.items()}
    systems = []
    for listed in page.systems:
        card = by_system.get(listed.system_id)
        if card is None:
            continue  # deleted since the page was saved
        view = health[listed.system_id]
        systems.append(
            card
            | {
                "group": listed.group,
                "name": listed.label or card["name"],
                "status": view["status"],
                "since": view["since"],
                "checks": [{"name": k["configurationName"], "status": k["status"]} for k in view["checks"]],
                "maintenances": _current(card["maintenances"], now),
            }
        )
    model = StatusPageRendered.model_validate(
        {
            "slug": page.slug,
            "title": page.title,
            "status": overall_status([s["status"] for s in systems]),
            "generatedAt": format_timestamp(now),
            "show": page.show.to_wire(),
            "systems": systems,
            "incidents": incidents,
        }
    )
    boundary = next_maintenance_change([m for card in cards.values() for m in card["maintenances"]], now)
    return model, format_timestamp(boundary) if boundary else None


def next_maintenance_change(maintenances: list[dict], now: datetime) -> datetime | None:
    """The next moment a window comes into view (7 days ahead), starts or ends."""
    moments = []
    for m in maintenances:
        starts, ends = parse_timestamp(m["startsAt"]), parse_timestamp(m["endsAt"])
        moments += [starts - MAINTENANCE_HORIZON, starts, ends]
    return min((t for t in moments if t > now), default=None)


def _read_incidents(reader: IncidentsReader | None, page: StatusPageView, now: datetime) -> list[dict] | None:
    """Open and recent incidents as the page shows them; None (no section) without a reader, when the
    page hides them, or when they cannot be read: a page never fails because of them."""
    if reader is None or not page.show.incidents:
        return None
    try:
        found = reader.incidents_for([s.system_id for s in page.systems], now - RECENT_INCIDENTS)
    except Exception as error:
        logger.warning("incidents not shown", slug=page.slug, error=type(error).__name__)
        return None
    labels = {s.system_id: s.label for s in page.systems}
    shown = []
    for incident in found:
        if not _was_announced(incident):
            continue
        name = labels.get(incident["systemId"]) or incident["systemName"]
        resolved = incident["status"] == "resolved"
        shown.append(
            {
                "systemId": incident["systemId"],
                "title": f"{name} recovered" if resolved else f"{name} is {incident['healthStatus']}",
                "status": incident["status"],
                "startedAt": incident["openedAt"],
                "resolvedAt": incident.get("resolvedAt"),
            }
        )
    return shown


def _was_announced(incident: dict) -> bool:
    """Pending incidents (within `forSeconds`, or held back) were never announced: not shown."""
    return incident["status"] != "pending" and any(
        step.endswith((":open", ":flapping")) for step in incident.get("stepsDone", [])
    )


def system_card(c: Collaborators, system_id: str, evaluated_at: str) -> dict:
    """One system's card through the cache (keyed by the health evaluation it goes with)."""
    return page_cache(c).wrap(card_key(system_id, evaluated_at), lambda: _card(c, system_id, c.clock()))


def _current(maintenances: list[dict], now: datetime) -> list[dict]:
    shown = []
    for m in maintenances:
        starts, ends = parse_timestamp(m["startsAt"]), parse_timestamp(m["endsAt"])
        if ends > now and starts < now + MAINTENANCE_HORIZON:
            shown.append(m | {"active": starts <= now})
    return shown


def _card(c: Collaborators, system_id: str, now: datetime) -> dict:
    snapshot = c.repository.system_snapshot(system_id)
    first_day = aggregates.day_start(now) - timedelta(days=BAR_DAYS - 1)
    first_hour = aggregates.hour_start(now) - timedelta(hours=23)
    # the last days are not rolled up yet (services/rollup.py): their bars sum hourly items
    unrolled = aggregates.day_start(now) - timedelta(days=ROLLED_AFTER_DAYS + 1)
    daily: dict[str, dict] = {}
    hourly: dict[str, dict] = {}
    for assignment in snapshot.assignments:
        configuration_id = assignment.configuration_id
        for tier, start, into in (("daily", first_day, daily), ("hourly", unrolled, hourly)):
            for item in c.repository.list_aggregates(
                tier,
                system_id,
                configuration_id,
                start=aggregates.bucket_key(start),
                end=aggregates.bucket_key(now),  # keys' format: the current hour's item included
                source=None,
            ):
                into[item.start] = aggregates.merge_items([into.get(item.start, {}), item.counters()])
    days = []
    totals = [0, 0, 0]
    for n in range(BAR_DAYS):
        day = first_day + timedelta(days=n)
        item = daily.get(aggregates.bucket_key(day)) or aggregates.merge_items(
            v for k, v in hourly.items() if day <= aggregates.parse_bucket_key(k) < day + timedelta(days=1)
        )
        counts = [int(item.get(k, 0)) for k in ("healthyCount", "degradedCount", "unhealthyCount")]
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        days.append(
            {
                "day": day.date().isoformat(),
                "availability": day_availability(*counts),
                "runCount": int(item.get("runCount", 0)),
                "unhealthyCount": counts[2],
            }
        )
    latency = []
    for n in range(24):
        hour = first_hour + timedelta(hours=n)
        summary = aggregates.latency_summary(hourly.get(aggregates.bucket_key(hour), {}))
        latency.append({"hour": format_timestamp(hour), "avgMs": summary["avg"], "p95Ms": summary["p95"]})
    system = snapshot.system
    return {
        "systemId": system_id,
        "name": system.name if system else system_id,
        "days": days,
        "availability90d": day_availability(*totals),
        "latency24h": latency,
        "maintenances": [
            {"title": m.title, "startsAt": m.starts_at, "endsAt": m.ends_at}
            for m in sorted(snapshot.maintenances, key=lambda m: m.starts_at)
        ],
        "status": "unknown",
        "since": None,
        "group": None,
    }
