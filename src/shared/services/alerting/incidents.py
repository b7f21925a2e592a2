"""Incidents: opened by a transition into a notified state, advanced by wake-ups, closed by recovery.

One incident per system at a time (the alert state holds its id, and every write is guarded by
versions, so duplicate or concurrent events open it once). The steps an incident owes are derived
by the pure rules in `shared.domain.alerting`; each step is marked done in the incident and its
deliveries are queued before that mark is stored, so a crash re-queues rather than loses them
(deliveries are claimed once each, see `delivery.py`).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from shared.data.alerting import POLICY, StaleWriteError
from shared.domain import alerting as rules
from shared.domain.alerting import Step
from shared.domain.errors import ConflictError, NotFoundError
from shared.domain.models import format_timestamp, parse_timestamp
from shared.observability import logger
from shared.services.alerting.context import Alerting

WRITE_TRIES = 8
DEFAULT_FLAP = rules.PolicyRule(id="default")


def incident_id_for(system_id: str, opened_at: str) -> str:
    """The same transition always names the same incident (duplicate events open it once)."""
    return "inc-" + hashlib.sha256(f"{system_id}|{opened_at}".encode()).hexdigest()[:20]


def wakeup_name(incident_id: str) -> str:
    return f"hc-{incident_id}"


def policy_rule(item: dict) -> rules.PolicyRule:
    flapping = item.get("flapping") or {}
    return rules.PolicyRule(
        id=item["id"],
        system_ids=tuple(item.get("systemIds", ())),
        tags=tuple(item.get("tags", ())),
        check_ids=tuple(item.get("checkIds", ())),
        channel_ids=tuple(item["channelIds"]),
        on_unhealthy="unhealthy" in item["notifyOn"],
        on_degraded="degraded" in item["notifyOn"],
        for_seconds=item.get("forSeconds", 0),
        send_on_recovery=item.get("sendOnRecovery", True),
        remind_every_seconds=item.get("remindEverySeconds"),
        escalations=tuple((e["afterSeconds"], tuple(e["channelIds"])) for e in item.get("escalations", ())),
        flap_transitions=flapping.get("transitions", 5),
        flap_window_seconds=flapping.get("windowSeconds", 600),
    )


def _policies(a: Alerting) -> dict[str, rules.PolicyRule]:
    return {p["id"]: policy_rule(p) for p in a.store.all_resources(POLICY)}


def _entry(incident_id: str, at: str, kind: str, message: str, **extra) -> dict:
    return {"incidentId": incident_id, "at": at, "kind": kind, "message": message} | extra


def _retrying(write) -> None:
    for _ in range(WRITE_TRIES - 1):
        try:
            return write()
        except StaleWriteError:
            continue
    return write()


# --- transitions ---------------------------------------------------------------------------


def handle_transition(a: Alerting, detail: dict) -> str | None:
    """Apply one `System Health Changed` event; returns the incident it touched, if any."""
    touched: list[str | None] = [None]

    def write() -> None:
        touched[0] = _apply_transition(a, detail)

    _retrying(write)
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
        for p in _policies(a).values()
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
            incident = _next(incident, healthStatus=status)
    elif rules.is_flapping(
        transitions, moment, threshold=flap.flap_transitions, window_seconds=flap.flap_window_seconds
    ):
        state["flapping"] = True
        if incident is None and covering:
            incident = _new_incident(facts, detail, covering, flapping=True)
            timeline.append(_entry(incident["id"], at, "opened", f"{facts.name} is {status}"))
        elif incident is not None:
            incident = _next(incident, flapping=True, healthStatus=status)
        if incident is not None:
            message = f"{len(transitions)} transitions in {flap.flap_window_seconds} s: notices paused"
            timeline.append(_entry(incident["id"], at, "flapping", message))
    elif notifying and incident is None:
        incident = _new_incident(facts, detail, notifying)
        timeline.append(_entry(incident["id"], at, "opened", f"{facts.name} is {status}"))
    elif notifying:
        incident = _next(incident, healthStatus=status)
        timeline.append(_entry(incident["id"], at, "changed", f"{facts.name} is now {status}"))
    elif incident is not None:
        incident = _next(incident, status="resolved", resolvedAt=at, healthStatus=status)
        timeline.append(_entry(incident["id"], at, "resolved", f"{facts.name} is {status}"))

    state["incidentId"] = incident["id"] if incident and incident["status"] != "resolved" else None
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


def _next(incident: dict, **changes) -> dict:
    return incident | changes | {"version": incident["version"] + 1}


# --- wake-ups: the steps an incident owes ---------------------------------------------------


def advance(a: Alerting, incident_id: str) -> list[Step]:
    """Queue every step the incident owes now, store them as done, and set its next wake-up."""
    sent: list[Step] = []

    def write() -> None:
        sent[:] = _advance_once(a, incident_id)

    _retrying(write)
    return sent


def _advance_once(a: Alerting, incident_id: str) -> list[Step]:
    incident = a.store.get_incident(incident_id)
    if incident is None:
        return []
    now = a.clock()
    at = format_timestamp(now)
    policies = [p for pid, p in _policies(a).items() if pid in incident["policyIds"]]
    done = set(incident["stepsDone"])
    state: dict | None = None
    timeline: list[dict] = []
    wake: datetime | None = None
    steps: list[Step] = []
    changes: dict = {}

    if incident["status"] != "resolved" and a.systems.facts(incident["systemId"]) is None:
        # The system was deleted: nothing more to say about it, and no wake-up left behind.
        changes = {"status": "resolved", "resolvedAt": at}
        timeline.append(_entry(incident_id, at, "resolved", "the system was deleted"))
    elif incident["status"] == "resolved":
        steps = _recovery_steps(policies, done, now)
    elif incident["flapping"]:
        steps = [
            Step(f"{p.id}:{rules.FLAPPING_STEP}", p.id, rules.FLAPPING_STEP, p.channel_ids, now)
            for p in policies
            if f"{p.id}:{rules.FLAPPING_STEP}" not in done
        ]
        state = a.store.get_alert_state(incident["systemId"])
        window = max((p.flap_window_seconds for p in policies), default=DEFAULT_FLAP.flap_window_seconds)
        settle = rules.settles_at(state["transitions"], window) if state else now
        if settle is None or now >= settle:
            steps += [
                Step(f"{p.id}:{rules.SETTLED_STEP}", p.id, rules.SETTLED_STEP, _reached(p, done), now)
                for p in policies
            ]
            still_down = any(rules.notifies_on(p, incident["healthStatus"]) for p in policies)
            # Settled while still down: it is an ordinary open incident again (reminders resume).
            opened = {f"{p.id}:{rules.OPEN_STEP}" for p in policies} if still_down else set()
            reopened = incident["status"] if incident["status"] == "acknowledged" else "open"
            changes = {"flapping": False, "status": reopened if still_down else "resolved"}
            if not still_down:
                changes["resolvedAt"] = at
                # The settled notice says it recovered: no separate recovery notice.
                done |= {f"{p.id}:{rules.RESOLVE_STEP}" for p in policies}
            done |= opened
            timeline.append(
                _entry(incident_id, at, "settled", f"no longer flapping: {incident['healthStatus']}")
            )
            state = state and state | {"version": state["version"] + 1, "flapping": False}
            if state and not still_down:
                state["incidentId"] = None
        else:
            state = None
            wake = settle
    else:
        acknowledged = incident["status"] == "acknowledged"
        opened = any(f"{p.id}:{rules.OPEN_STEP}" in done for p in policies)
        for p in policies:
            steps += rules.due_steps(
                p, parse_timestamp(incident["openedAt"]), now, acknowledged=acknowledged, done=done
            )
        quiet = [] if opened or not steps else _quiet_reasons(a, incident, at)
        if quiet:
            steps = []
            if quiet != incident["suppressedBy"]:
                changes["suppressedBy"] = quiet
                timeline.append(_entry(incident_id, at, "suppressed", "held back: " + ", ".join(quiet)))
        done_after = done | {s.key for s in steps}
        wakes = [
            rules.next_wakeup(
                p, parse_timestamp(incident["openedAt"]), now, acknowledged=acknowledged, done=done_after
            )
            for p in policies
        ]
        wake = min((w for w in wakes if w), default=None)
        if any(s.kind == rules.OPEN_STEP for s in steps) and incident["status"] == "pending":
            changes["status"] = "open"

    if not steps and not changes and not timeline:
        _set_wakeup(a, incident, wake)
        return []
    _queue_deliveries(a, incident_id, steps)
    updated = _next(incident, stepsDone=sorted(done | {s.key for s in steps}), **changes)
    a.store.save_alerting(state=state, incident=updated, timeline=timeline)
    _set_wakeup(a, updated, wake)
    return steps


def _reached(policy: rules.PolicyRule, done: set[str]) -> tuple[str, ...]:
    """The channels a policy has notified about this incident: its own and those escalated to."""
    escalated = [
        c
        for k, (_, channels) in enumerate(policy.escalations, start=1)
        if f"{policy.id}:escalate:{k}" in done
        for c in channels
    ]
    return tuple(dict.fromkeys(policy.channel_ids + tuple(escalated)))


def _recovery_steps(policies: list[rules.PolicyRule], done: set[str], now: datetime) -> list[Step]:
    return [
        Step(f"{p.id}:{rules.RESOLVE_STEP}", p.id, rules.RESOLVE_STEP, _reached(p, done), now)
        for p in policies
        if p.send_on_recovery
        and f"{p.id}:{rules.RESOLVE_STEP}" not in done
        and (f"{p.id}:{rules.OPEN_STEP}" in done or f"{p.id}:{rules.FLAPPING_STEP}" in done)
    ]


def _quiet_reasons(a: Alerting, incident: dict, at: str) -> list[str]:
    """Why an incident's first notice is held back: an unhealthy dependency or a quiet maintenance."""
    facts = a.systems.facts(incident["systemId"])
    if facts is None:
        return []
    reasons = [
        f"dependency {d} is unhealthy"
        for d in rules.blocking_dependencies(
            facts.depends_on, a.systems.statuses(facts.depends_on) if facts.depends_on else {}
        )
    ]
    if rules.in_suppressing_maintenance(facts.maintenances, at):
        reasons.append("maintenance with suppressNotifications")
    return reasons


def _queue_deliveries(a: Alerting, incident_id: str, steps: list[Step]) -> None:
    messages = [
        {
            "kind": "deliver",
            "incidentId": incident_id,
            "step": s.key,
            "stepKind": s.kind,
            "channelId": channel_id,
        }
        for s in steps
        for channel_id in dict.fromkeys(s.channel_ids)
    ]
    if messages:
        a.queue.send(messages)


def _set_wakeup(a: Alerting, incident: dict, wake: datetime | None) -> None:
    name = wakeup_name(incident["id"])
    if wake is None or (incident["status"] in ("resolved", "acknowledged") and not incident["flapping"]):
        a.scheduler.cancel(name)
    else:
        a.scheduler.wake_at(name, wake, {"kind": "wake", "incidentId": incident["id"]})


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
        policies = [p for pid, p in _policies(a).items() if pid in incident["policyIds"]]
        done = set(incident["stepsDone"])
        steps = [
            Step(f"{p.id}:acknowledge", p.id, "acknowledge", _reached(p, done), a.clock())
            for p in policies
            if f"{p.id}:{rules.OPEN_STEP}" in done
        ]
        updated = _next(
            incident,
            status="acknowledged",
            acknowledgedAt=at,
            acknowledgedBy=by,
            stepsDone=sorted(done | {s.key for s in steps}),
        )
        _queue_deliveries(a, incident_id, steps)
        a.store.save_alerting(
            incident=updated, timeline=[_entry(incident_id, at, "acknowledged", f"by {by}")]
        )
        result[:] = [updated]

    _retrying(write)
    a.scheduler.cancel(wakeup_name(incident_id))
    return result[0]


def incident_detail(a: Alerting, incident_id: str) -> dict:
    incident = a.store.get_incident(incident_id)
    if incident is None:
        raise NotFoundError(f"incident {incident_id} not found")
    return incident | {"timeline": a.store.timeline(incident_id)}


def list_incidents(a: Alerting, *, limit: int, cursor: str | None):
    return a.store.list_incidents(limit=limit, cursor=cursor)


def actor_name(c, principal) -> str:
    """Who acknowledged: the API key's name, or the kind of caller for the bootstrap key."""
    if principal.kind == "api-key":
        key = c.repository.get_api_key(principal.id)
        if key:
            return key["name"]
    return principal.id
