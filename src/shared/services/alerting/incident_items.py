"""What the incident services share: policy rules from stored policies, timeline entries, names,
and the retry of a write that lost to a concurrent one."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from shared.domain import alerting as rules
from shared.domain.alerting import POLICY, StaleWriteError
from shared.retry import retry
from shared.services.alerting.context import Alerting

DEFAULT_FLAP = rules.PolicyRule(id="default")


def incident_id_for(system_id: str, opened_at: str) -> str:
    """The same transition always names the same incident (duplicate events open it once)."""
    return "inc-" + hashlib.sha256(f"{system_id}|{opened_at}".encode()).hexdigest()[:20]


def wakeup_name(incident_id: str) -> str:
    """The name of an incident's scheduled wake-up."""
    return f"hc-{incident_id}"


def policy_rule(item: dict) -> rules.PolicyRule:
    """A stored alert policy as the pure rule the domain judges with."""
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


def policies_by_id(a: Alerting) -> dict[str, rules.PolicyRule]:
    """Every alert policy as a rule, by id."""
    return {p["id"]: policy_rule(p) for p in a.store.all_resources(POLICY)}


def entry(incident_id: str, at: str, kind: str, message: str, **extra) -> dict:
    """A timeline entry of an incident."""
    return {"incidentId": incident_id, "at": at, "kind": kind, "message": message} | extra


def retrying(write: Callable[[], None]) -> None:
    """Run a read-modify-write again when a concurrent writer moved the versions it read."""
    retry(write, on=StaleWriteError)


def next_version(incident: dict, **changes) -> dict:
    """The incident with `changes` applied and its version moved on by one."""
    return incident | changes | {"version": incident["version"] + 1}
