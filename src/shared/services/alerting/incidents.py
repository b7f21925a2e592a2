"""Incidents: opened by a transition into a notified state, closed by recovery, acknowledged by a
person. One incident per system at a time: the alert state holds its id, and every write is guarded
by versions, so duplicate or concurrent events open it once. Flapping pauses per-flip notices.
"""

from __future__ import annotations

from shared.domain import alerting as rules
from shared.domain.alerting import Step
from shared.domain.errors import ConflictError, NotFoundError
from shared.domain.models import format_timestamp, parse_timestamp
from shared.observability import logger
from shared.services.alerting.context import Alerting
from shared.services.alerting.incident_items import (
    DEFAULT_FLAP,
    entry,
    incident_id_for,
    next_version,
    policies_by_id,
    retrying,
    wakeup_name,
)
from shared.services.alerting.steps import advance, queue_deliveries, reached

RECENT_INCIDENTS_KEPT = 10

# --- transitions ---------------------------------------------------------------------------


def handle_transition(a: Alerting, detail: dict) -> str | None:
    """Apply one `System Health Changed` event; returns the incident it touched, if any."""
    touched: list[str | None] = [None]

    def write() -> None:
        touched[0] = _apply_transition(a, detail)

    retrying(write)
    if touched[0]:
        advance(a, touched[0])
    return touched[0]


def _apply_transition(a: Alerting, detail: dict) -> str | None:
    system_id, at, status = detail["systemId"], detail["timestamp"], detail["newStatus"]
    previous = a.store.get_alert_state(system_id)
    state = previous or {
        "systemId": system_id,
        "version": 0,
        "lastAt": "",
        "transitions": [],
        "flapping": False,
    }
    if state["lastAt"] and at <= state["lastAt"]:
        logger.info("transition already handled", system_id=system_id, at=at)
        return None
    facts = a.systems.facts(system_id)
    if facts is None:
        return None
    covering = [
        p
        for p in policies_by_id(a).values()
        if rules.policy_covers(p, system_id, facts.tags, facts.check_ids)
        and (p.on_unhealthy or p.on_degraded)
    ]
    flap = min(covering, key=lambda p: p.flap_transitions / p.flap_window_seconds, default=DEFAULT_FLAP)
    moment = parse_timestamp(at)
    transitions = rules.transitions_in_window(state["transitions"] + [at], moment, flap.flap_window_seconds)
    state = state | {
        "version": state["version"] + 1,
        "lastAt": at,
        "transitions": transitions,
        "status": status,
    }
    incident = a.store.get_incident(state["incidentId"]) if state.get("incidentId") else None
    if incident is not None and incident["status"] == "resolved":
        incident = None  # closed without a transition (its system was deleted): the next one opens anew
    timeline: list[dict] = []
    notifying = [p for p in covering if rules.notifies_on(p, status)]

    if state["flapping"]:
        if incident is not None:
            incident = next_version(incident, healthStatus=status)
    elif rules.is_flapping(
        transitions, moment, threshold=flap.flap_transitions, window_seconds=flap.flap_window_seconds
    ):
        state["flapping"] = True
        if incident is None and covering:
            incident = _new_incident(facts, detail, covering, flapping=True)
            timeline.append(entry(incident["id"], at, "opened", f"{facts.name} is {status}"))
        elif incident is not None:
            incident = next_version(incident, flapping=True, healthStatus=status)
        if incident is not None:
            message = f"{len(transitions)} transitions in {flap.flap_window_seconds} s: notices paused"
            timeline.append(entry(incident["id"], at, "flapping", message))
    elif notifying and incident is None:
        incident = _new_incident(facts, detail, notifying)
        timeline.append(entry(incident["id"], at, "opened", f"{facts.name} is {status}"))
    elif notifying:
        incident = next_version(incident, healthStatus=status)
        timeline.append(entry(incident["id"], at, "changed", f"{facts.name} is now {status}"))
    elif incident is not None:
        incident = next_version(incident, status="resolved", resolvedAt=at, healthStatus=status)
        timeline.append(entry(incident["id"], at, "resolved", f"{facts.name} is {status}"))

    state["incidentId"] = incident["id"] if incident and incident["status"] != "resolved" else None
    if incident is not None:
        # Status pages show open and recent incidents of their systems from here, without a scan.
        recent = [i for i in state.get("recentIncidentIds", []) if i != incident["id"]]
        state["recentIncidentIds"] = [incident["id"], *recent][:RECENT_INCIDENTS_KEPT]
    a.store.save_alerting(state=state, incident=incident, timeline=timeline)
    return incident["id"] if incident else None


def _new_incident(facts, detail: dict, policies: list[rules.PolicyRule], *, flapping: bool = False) -> dict:
    at = detail["timestamp"]
    return {
        "id": incident_id_for(facts.id, at),
        "systemId": facts.id,
        "systemName": facts.name,
        "status": "pending",
        "healthStatus": detail["newStatus"],
        "healthyChecks": detail.get("healthyChecks"),
        "totalChecks": detail.get("totalChecks"),
        "openedAt": at,
        "flapping": flapping,
        "suppressedBy": [],
        "policyIds": [p.id for p in policies],
        "stepsDone": [],
        "version": 1,
    }


# --- acknowledging and reading ----------------------------------------------------------------


def acknowledge(a: Alerting, incident_id: str, *, by: str) -> dict:
    """Stop reminders and escalation of an incident; PagerDuty channels hear of it too."""
    result: list[dict] = []

    def write() -> None:
        incident = a.store.get_incident(incident_id)
        if incident is None:
            raise NotFoundError(f"incident {incident_id} not found")
        if incident["status"] == "resolved":
            raise ConflictError(f"incident {incident_id} is already resolved")
        if incident["status"] == "acknowledged":
            result[:] = [incident]
            return
        at = format_timestamp(a.clock())
        policies = [p for pid, p in policies_by_id(a).items() if pid in incident["policyIds"]]
        done = set(incident["stepsDone"])
        steps = [
            Step(f"{p.id}:acknowledge", p.id, "acknowledge", reached(p, done), a.clock())
            for p in policies
            if f"{p.id}:{rules.OPEN_STEP}" in done
        ]
        updated = next_version(
            incident,
            status="acknowledged",
            acknowledgedAt=at,
            acknowledgedBy=by,
            stepsDone=sorted(done | {s.key for s in steps}),
        )
        queue_deliveries(a, incident_id, steps)
        a.store.save_alerting(incident=updated, timeline=[entry(incident_id, at, "acknowledged", f"by {by}")])
        result[:] = [updated]

    retrying(write)
    a.scheduler.cancel(wakeup_name(incident_id))
    return result[0]


def incident_detail(a: Alerting, incident_id: str) -> dict:
    """One incident with its timeline, or NotFoundError."""
    incident = a.store.get_incident(incident_id)
    if incident is None:
        raise NotFoundError(f"incident {incident_id} not found")
    return incident | {"timeline": a.store.timeline(incident_id)}


def list_incidents(a: Alerting, *, limit: int, cursor: str | None):
    """A page of incidents."""
    return a.store.list_incidents(limit=limit, cursor=cursor)


def actor_name(c, principal) -> str:
    """Who acknowledged: the API key's name, or the kind of caller for the bootstrap key."""
    if principal.kind == "api-key":
        key = c.repository.get_api_key(principal.id)
        if key:
            return key.name
    return principal.id
