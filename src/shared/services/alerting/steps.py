"""The steps an incident owes, queued when due: open (after `forSeconds`, unless held back by a
dependency or a maintenance), reminders, escalation, flapping and settled notices, recovery. Each
step is marked done in the incident after its deliveries are queued, so a crash re-queues rather
than loses them; deliveries are claimed once each (`delivery.py`). One wake-up per incident is kept
at the next time a step falls due.
"""

from __future__ import annotations

from datetime import datetime

from shared.domain import alerting as rules
from shared.domain.alerting import Step
from shared.domain.models import format_timestamp, parse_timestamp
from shared.services.alerting.context import Alerting
from shared.services.alerting.incident_items import (
    DEFAULT_FLAP,
    entry,
    next_version,
    policies_by_id,
    retrying,
    wakeup_name,
)


def advance(a: Alerting, incident_id: str) -> list[Step]:
    """Queue every step the incident owes now, store them as done, and set its next wake-up."""
    sent: list[Step] = []

    def write() -> None:
        sent[:] = _advance_once(a, incident_id)

    retrying(write)
    return sent


def _advance_once(a: Alerting, incident_id: str) -> list[Step]:
    incident = a.store.get_incident(incident_id)
    if incident is None:
        return []
    now = a.clock()
    at = format_timestamp(now)
    policies = [p for pid, p in policies_by_id(a).items() if pid in incident["policyIds"]]
    done = set(incident["stepsDone"])
    state: dict | None = None
    timeline: list[dict] = []
    wake: datetime | None = None
    steps: list[Step] = []
    changes: dict = {}

    if incident["status"] != "resolved" and a.systems.facts(incident["systemId"]) is None:
        # The system was deleted: nothing more to say about it, and no wake-up left behind.
        changes = {"status": "resolved", "resolvedAt": at}
        timeline.append(entry(incident_id, at, "resolved", "the system was deleted"))
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
                Step(f"{p.id}:{rules.SETTLED_STEP}", p.id, rules.SETTLED_STEP, reached(p, done), now)
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
                entry(incident_id, at, "settled", f"no longer flapping: {incident['healthStatus']}")
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
                timeline.append(entry(incident_id, at, "suppressed", "held back: " + ", ".join(quiet)))
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
    queue_deliveries(a, incident_id, steps)
    updated = next_version(incident, stepsDone=sorted(done | {s.key for s in steps}), **changes)
    a.store.save_alerting(state=state, incident=updated, timeline=timeline)
    _set_wakeup(a, updated, wake)
    return steps


def reached(policy: rules.PolicyRule, done: set[str]) -> tuple[str, ...]:
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
        Step(f"{p.id}:{rules.RESOLVE_STEP}", p.id, rules.RESOLVE_STEP, reached(p, done), now)
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


def queue_deliveries(a: Alerting, incident_id: str, steps: list[Step]) -> None:
    """Queue one delivery message per notification step of an incident."""
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
