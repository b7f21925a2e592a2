"""Pure alerting rules: which policies cover a system, when an incident's steps fall due,
when a system flaps, and when a dependency or a maintenance window keeps an incident quiet.

Every rule takes the time it should judge at; nothing here reads a clock or does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.domain.catalog_items import MaintenanceItem
from shared.domain.models import parse_timestamp

CHANNEL = "channel"
POLICY = "alertPolicy"
INCIDENT = "incident"
RECHECK_SUPPRESSED_SECONDS = 60
OPEN_STEP = "open"
RESOLVE_STEP = "resolve"
FLAPPING_STEP = "flapping"
SETTLED_STEP = "settled"


class StaleWriteError(Exception):
    """A versioned alerting item changed since it was read: read again and retry."""


@dataclass(frozen=True)
class SystemFacts:
    """What alerting needs to know about a system when it changes."""

    id: str
    name: str
    tags: list[str]
    depends_on: list[str]
    check_ids: list[str]
    maintenances: list[MaintenanceItem]


@dataclass(frozen=True)
class SendResult:
    """What a channel said to one delivery attempt."""

    delivered: bool
    status_code: int | None = None
    latency_ms: float | None = None
    error: str | None = None
    retryable: bool = True


@dataclass(frozen=True)
class PolicyRule:
    """The parts of an alert policy the rules need."""

    id: str
    system_ids: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    check_ids: tuple[str, ...] = ()
    channel_ids: tuple[str, ...] = ()
    on_unhealthy: bool = True
    on_degraded: bool = False
    for_seconds: int = 0
    send_on_recovery: bool = True
    remind_every_seconds: int | None = None
    escalations: tuple[tuple[int, tuple[str, ...]], ...] = ()  # (after seconds, channel ids)
    flap_transitions: int = 5
    flap_window_seconds: int = 600


@dataclass(frozen=True)
class Step:
    """One notification an incident owes: `key` is unique within the incident."""

    key: str
    policy_id: str
    kind: str  # open | remind | escalate
    channel_ids: tuple[str, ...]
    due_at: datetime


def policy_covers(policy: PolicyRule, system_id: str, tags: list[str], check_ids: list[str]) -> bool:
    """A policy with no scope covers every system; otherwise any matching system, tag or check does."""
    if not (policy.system_ids or policy.tags or policy.check_ids):
        return True
    return (
        system_id in policy.system_ids
        or bool(set(policy.tags) & set(tags))
        or bool(set(policy.check_ids) & set(check_ids))
    )


def notifies_on(policy: PolicyRule, status: str) -> bool:
    return (status == "unhealthy" and policy.on_unhealthy) or (status == "degraded" and policy.on_degraded)


def due_steps(
    policy: PolicyRule, opened_at: datetime, now: datetime, *, acknowledged: bool, done: set[str]
) -> list[Step]:
    """The steps of one policy due by `now` and not yet done, oldest first.

    The open notice falls due `forSeconds` after opening; reminders every `remindEverySeconds` after
    it; escalation step k `afterSeconds` after opening. Acknowledging stops reminders and escalation.
    """
    open_at = opened_at + timedelta(seconds=policy.for_seconds)
    steps = [Step(f"{policy.id}:{OPEN_STEP}", policy.id, OPEN_STEP, policy.channel_ids, open_at)]
    if not acknowledged:
        if policy.remind_every_seconds and f"{policy.id}:{OPEN_STEP}" in done:
            count = int((now - open_at).total_seconds() // policy.remind_every_seconds)
            if count >= 1:
                # Only the latest reminder matters: a late tick sends one, not a burst of catch-ups.
                at = open_at + timedelta(seconds=count * policy.remind_every_seconds)
                steps.append(Step(f"{policy.id}:remind:{count}", policy.id, "remind", policy.channel_ids, at))
        for index, (after, channels) in enumerate(policy.escalations, start=1):
            at = opened_at + timedelta(seconds=max(after, policy.for_seconds))
            steps.append(Step(f"{policy.id}:escalate:{index}", policy.id, "escalate", channels, at))
    return [s for s in steps if s.due_at <= now and s.key not in done]


def next_wakeup(
    policy: PolicyRule, opened_at: datetime, now: datetime, *, acknowledged: bool, done: set[str]
) -> datetime | None:
    """When this policy next owes the incident a step after `now`, or None."""
    open_at = opened_at + timedelta(seconds=policy.for_seconds)
    opened = f"{policy.id}:{OPEN_STEP}" in done
    candidates = []
    if not opened:
        # Still owed past its time means it was held back (dependency, maintenance): look again soon.
        candidates.append(open_at if open_at > now else now + timedelta(seconds=RECHECK_SUPPRESSED_SECONDS))
    if not acknowledged:
        if policy.remind_every_seconds and opened:
            elapsed = max(0.0, (now - open_at).total_seconds())
            count = int(elapsed // policy.remind_every_seconds) + 1
            candidates.append(open_at + timedelta(seconds=count * policy.remind_every_seconds))
        for index, (after, _) in enumerate(policy.escalations, start=1):
            at = opened_at + timedelta(seconds=max(after, policy.for_seconds))
            if at > now and f"{policy.id}:escalate:{index}" not in done:
                candidates.append(at)
    return min((c for c in candidates if c > now), default=None)


def transitions_in_window(transitions: list[str], now: datetime, window_seconds: int) -> list[str]:
    """The transition times (ISO strings) within the window ending at `now`."""
    start = now - timedelta(seconds=window_seconds)
    return [t for t in transitions if parse_timestamp(t) > start]


def is_flapping(transitions: list[str], now: datetime, *, threshold: int, window_seconds: int) -> bool:
    """More than `threshold` transitions within the window."""
    return len(transitions_in_window(transitions, now, window_seconds)) > threshold


def settles_at(transitions: list[str], window_seconds: int) -> datetime | None:
    """A flapping system settles once a whole window passes without a transition."""
    if not transitions:
        return None
    return max(parse_timestamp(t) for t in transitions) + timedelta(seconds=window_seconds)


def blocking_dependencies(depends_on: list[str], statuses: dict[str, str]) -> list[str]:
    """The dependencies whose unhealthy state keeps a dependent's incident quiet."""
    return sorted(d for d in depends_on if statuses.get(d) == "unhealthy")


def in_suppressing_maintenance(maintenances: list[MaintenanceItem], at: str) -> bool:
    return any(m.suppresses(at) for m in maintenances)


def retry_delay_seconds(attempt: int, *, base: int = 5, cap: int = 900) -> int:
    """Exponential back-off before delivery attempt `attempt + 1` (attempt counts from 1)."""
    return min(cap, base * 2 ** (attempt - 1))
