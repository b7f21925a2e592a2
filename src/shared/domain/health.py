"""Health evaluation: one state per (check, source) slice, a quorum per check, the worst per system.

A check (one configuration assigned to one system) receives runs from several sources: "local"
(the executor) and satellites. Each source has its own *slice* so that a satellite failing every
run can never be hidden by healthy local runs interleaved with it.

Slice rules (`apply_run`):

- A run is *failing* when its status is not "healthy"; thresholds count failing runs.
- What the thresholds say ("the verdict"):
  - consecutive mode: the current streak of failing runs; `>= unhealthyAfter` is unhealthy,
    `>= degradedAfter` is degraded, anything less is healthy.
  - window mode: the failing runs among the last `windowSize` runs, compared the same way.
- Escalation is immediate: a failing run that makes the verdict more severe than the current
  status moves the slice there at once; it never waits for a recovery counter.
- Recovery is gated ("both ways" hysteresis): a slice that is degraded or unhealthy only moves to
  a less severe status once the last `recoverAfter` runs were all healthy. This holds for every
  improvement, unhealthy -> degraded as much as degraded -> healthy. When it improves, it lands on
  the verdict of that moment (so unhealthy can go straight to healthy, or to degraded when a
  window still holds enough failures). The healthy streak counts runs, not time since the last
  status change, so a later step down is not delayed again.
- A healthy run never makes a slice look worse and a failing run never makes it look better,
  even when the thresholds changed since the previous run: tightened thresholds take effect with
  the next failing run, loosened ones with the next healthy streak.
- A slice with no runs is "unknown". Its first run follows the same rules from "unknown", so a
  healthy first run is healthy and a failing one is whatever the thresholds say (with
  `degradedAfter = 1`, degraded).

The slice keeps the last `HISTORY_LIMIT` run statuses, which covers every threshold the API
accepts (window sizes and counts are at most 100), so a state recorded under other thresholds
(say, consecutive mode, then window mode) is evaluated correctly against the new ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, field_serializer, model_validator

from shared.domain.assignment_models import ConsecutiveThresholds, WindowThresholds
from shared.domain.catalog_items import StoredItem
from shared.domain.health_views import CheckHealthView, SourceHealthView, SystemHealthView
from shared.domain.wire import HealthStatus, RunStatus, parse_timestamp

QuorumMode = Literal["any", "majority", "all"]
Thresholds = ConsecutiveThresholds | WindowThresholds

HISTORY_LIMIT = 100

_SEVERITY: dict[str, int] = {"healthy": 0, "degraded": 1, "unhealthy": 2}
_STATUS_LETTER: dict[str, str] = {"healthy": "h", "degraded": "d", "unhealthy": "u"}
_LETTER_STATUS: dict[str, RunStatus] = {"h": "healthy", "d": "degraded", "u": "unhealthy"}


def severity(status: HealthStatus) -> int:
    """Rank of a known status: healthy 0 < degraded 1 < unhealthy 2. "unknown" has no rank."""
    return _SEVERITY[status]


def is_failing(run_status: RunStatus) -> bool:
    return run_status != "healthy"


class SliceState(StoredItem):
    """The health of one check as seen by one source, as its check's item (SLICE#) keeps it:
    `recent` is stored as one letter per run, oldest first; numbers come back from DynamoDB as
    Decimal and are read as ints."""

    model_config = ConfigDict(frozen=True)

    source_id: str
    source_label: str
    status: HealthStatus = "unknown"
    recent: tuple[RunStatus, ...] = ()
    consecutive_failing: int = 0
    consecutive_healthy: int = 0
    last_run_at: str | None = None
    run_count: int = 0

    @model_validator(mode="before")
    @classmethod
    def _stored(cls, item: Any) -> Any:
        if isinstance(item, Mapping):
            item = dict(item)
            if isinstance(item.get("recent"), str):
                item["recent"] = tuple(_LETTER_STATUS[letter] for letter in item["recent"])
            if "sourceLabel" not in item and "source_label" not in item:
                item["sourceLabel"] = item.get("sourceId", item.get("source_id"))
        return item

    @field_serializer("recent")
    def _letters(self, recent: tuple[RunStatus, ...]) -> str:
        return "".join(_STATUS_LETTER[status] for status in recent)

    def to_item(self) -> dict[str, Any]:
        """Plain strings and ints for a DynamoDB map; `lastRunAt` only when set."""
        return self.model_dump(by_alias=True, exclude={"last_run_at"} if self.last_run_at is None else None)

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> SliceState:
        """The slice of a stored map."""
        return cls.model_validate(item)


def empty_slice(source_id: str, source_label: str) -> SliceState:
    """A source assigned to a check that has not reported yet."""
    return SliceState(source_id=source_id, source_label=source_label)


def threshold_verdict(
    thresholds: Thresholds, recent: Sequence[RunStatus], consecutive_failing: int
) -> RunStatus:
    """What the thresholds alone say about a run history (no hysteresis)."""
    if isinstance(thresholds, WindowThresholds):
        window = recent[-thresholds.window_size :]
        failing = sum(1 for status in window if is_failing(status))
    else:
        failing = consecutive_failing
    if failing >= thresholds.unhealthy_after:
        return "unhealthy"
    if failing >= thresholds.degraded_after:
        return "degraded"
    return "healthy"


def apply_run(
    state: SliceState | None,
    *,
    run_status: RunStatus,
    at: str,
    thresholds: Thresholds,
    source_id: str,
    source_label: str,
) -> SliceState:
    """The slice after one more run (see the module docstring for the rules)."""
    previous = state or empty_slice(source_id, source_label)
    failing = is_failing(run_status)
    recent = (*previous.recent, run_status)[-HISTORY_LIMIT:]
    consecutive_failing = previous.consecutive_failing + 1 if failing else 0
    consecutive_healthy = 0 if failing else previous.consecutive_healthy + 1
    verdict = threshold_verdict(thresholds, recent, consecutive_failing)

    status: HealthStatus
    if previous.status == "unknown":
        status = verdict
    elif severity(verdict) > severity(previous.status):
        status = previous.status if not failing else verdict
    elif severity(verdict) < severity(previous.status):
        status = verdict if consecutive_healthy >= thresholds.recover_after else previous.status
    else:
        status = previous.status

    return previous.model_copy(
        update={
            "source_label": source_label,
            "status": status,
            "recent": recent,
            "consecutive_failing": consecutive_failing,
            "consecutive_healthy": consecutive_healthy,
            "last_run_at": at,
            "run_count": previous.run_count + 1,
        }
    )


def _known(statuses: Iterable[HealthStatus]) -> list[HealthStatus]:
    return [status for status in statuses if status != "unknown"]


def quorum_status(statuses: Iterable[HealthStatus], quorum_mode: QuorumMode) -> HealthStatus:
    """Combine per-source statuses: how many sources must see the check failing for it to fail.

    Unknown statuses are left out. Over the n known ones, sorted worst first:
    "any" takes the worst, "all" the best, "majority" the k-th worst with k = n // 2 + 1
    (2 of 3 sources failing -> failing, with the less severe of those two statuses).
    """
    known = sorted(_known(statuses), key=severity, reverse=True)
    if not known:
        return "unknown"
    if quorum_mode == "any":
        return known[0]
    if quorum_mode == "all":
        return known[-1]
    if quorum_mode == "majority":
        return known[len(known) // 2]
    raise ValueError(f"unknown quorum mode {quorum_mode!r}")


def visible_status(slice_state: SliceState, offline_sources: Iterable[str]) -> HealthStatus:
    """A slice's status, or unknown while its source is offline (its last verdict is stale)."""
    return "unknown" if slice_state.source_id in offline_sources else slice_state.status


def evaluate_check(
    slices: Iterable[SliceState],
    quorum_mode: QuorumMode,
    *,
    offline_sources: Iterable[str] = frozenset(),
) -> HealthStatus:
    """A check's status from its source slices under the assignment's quorum.

    The caller passes only the slices of sources currently assigned to the check.
    """
    offline = frozenset(offline_sources)
    return quorum_status((visible_status(s, offline) for s in slices), quorum_mode)


def evaluate_system(check_statuses: Iterable[HealthStatus]) -> HealthStatus:
    """The worst status among checks that have data; unknown when none has.

    The caller leaves out paused configurations and disabled assignments.
    """
    known = _known(check_statuses)
    if not known:
        return "unknown"
    return max(known, key=severity)


@dataclass(frozen=True)
class CheckSlices:
    """One assigned check with the slices of its currently assigned sources."""

    configuration_id: str
    configuration_name: str
    quorum_mode: QuorumMode
    slices: tuple[SliceState, ...]


def _latest(timestamps: Iterable[str | None]) -> datetime | None:
    moments = [parse_timestamp(text) for text in timestamps if text]
    return max(moments) if moments else None


def build_health_view(
    *,
    system_id: str,
    checks: Sequence[CheckSlices],
    evaluated_at: str,
    previous_status: HealthStatus | None = None,
    previous_since: str | None = None,
    offline_sources: Iterable[str] = frozenset(),
) -> SystemHealthView:
    """The SystemHealth of API.md, the one way every path builds it.

    `since` carries over from the previous view while the status stays the same and becomes
    `evaluated_at` when it changes (or when there is no previous view). Checks keep the caller's
    order; sources are listed by source id (as the API has always listed them). An offline source is shown as
    unknown, as it is counted.
    """
    offline = frozenset(offline_sources)
    check_views = []
    for check in checks:
        ordered = sorted(check.slices, key=lambda s: s.source_id)
        check_views.append(
            CheckHealthView(
                configuration_id=check.configuration_id,
                configuration_name=check.configuration_name,
                status=evaluate_check(ordered, check.quorum_mode, offline_sources=offline),
                last_run_at=_latest(s.last_run_at for s in ordered),
                sources=[
                    SourceHealthView(
                        source_id=s.source_id,
                        source_label=s.source_label,
                        status=visible_status(s, offline),
                        last_run_at=_latest([s.last_run_at]),
                    )
                    for s in ordered
                ],
            )
        )

    status = evaluate_system(view.status for view in check_views)
    evaluated = parse_timestamp(evaluated_at)
    keeps_since = previous_status == status and previous_since is not None
    return SystemHealthView(
        system_id=system_id,
        status=status,
        evaluated_at=evaluated,
        since=parse_timestamp(previous_since) if keeps_since else evaluated,
        checks=check_views,
    )
