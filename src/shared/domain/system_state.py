"""A system's state item derived from its checks' typed state (pure): the one way every path —
recording a run, a satellite batch, a re-evaluation without a run, creating the system — makes the
state item whose view the health reads serve."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from shared.domain.health import CheckSlices, build_health_view
from shared.domain.health_views import SystemHealthView
from shared.domain.state_items import SystemStateItem
from shared.domain.wire import HealthStatus, format_timestamp


@dataclass(frozen=True)
class SystemStep:
    """The next state item, the status it moves from, and whether what its view shows changed
    (anything but `evaluatedAt`): only then is it worth storing."""

    item: SystemStateItem
    previous_status: HealthStatus
    changed: bool

    @property
    def status_changed(self) -> bool:
        return self.item.status != self.previous_status


def initial_state(system_id: str, now: str) -> SystemStateItem:
    """The state of a system nobody has checked yet: unknown since `now`, no checks."""
    return _state(system_id, 1, build_health_view(system_id=system_id, checks=[], evaluated_at=now), {})


def next_system_state(
    previous: SystemStateItem | None,
    *,
    system_id: str,
    checks: Sequence[CheckSlices],
    check_versions: Mapping[str, int],
    now: str,
    offline_sources: Iterable[str] = frozenset(),
) -> SystemStep:
    """The state after `previous` (None: a system without a state item yet) from the slices of its
    counted checks (in the view's order) and the versions of the check items they come from."""
    before = previous or initial_state(system_id, now)
    view = build_health_view(
        system_id=system_id,
        checks=checks,
        evaluated_at=now,
        previous_status=before.status,
        previous_since=before.since,
        offline_sources=offline_sources,
    )
    item = _state(system_id, before.version + 1, view, dict(check_versions))
    return SystemStep(item, before.status, _shown(view) != _shown(before.view))


def _state(system_id: str, version: int, view: SystemHealthView, versions: dict[str, int]) -> SystemStateItem:
    return SystemStateItem(
        system_id=system_id,
        version=version,
        status=view.status,
        since=format_timestamp(view.since),
        check_versions=versions,
        view=view,
    )


def _shown(view: SystemHealthView) -> dict:
    return view.model_dump(exclude={"evaluated_at"})
