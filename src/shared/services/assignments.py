"""Use cases of the management API for assignments: which configuration runs on which system, how.

A change re-evaluates the system, then publishes `Assignment Changed` through the outbox.
"""

from __future__ import annotations

from shared.domain.assignment_models import AssignmentPut, AssignmentView
from shared.domain.catalog_items import AssignmentItem
from shared.domain.errors import NotFoundError
from shared.domain.snapshots import SystemSnapshot
from shared.domain.state_items import SystemStateItem
from shared.domain.wire import format_timestamp
from shared.events import ASSIGNMENT_CHANGED, Event
from shared.services import outbox
from shared.services.context import Collaborators
from shared.services.health_state import reevaluate_systems


def assignment_views(c: Collaborators, system_id: str) -> list[AssignmentView]:
    """A system's assignments with the status and last run of each check."""
    snapshot = c.repository.system_snapshot(system_id)
    if snapshot.system is None:
        raise NotFoundError(f"system {system_id} not found")
    checks = {check["configurationId"]: check for check in _view_checks(snapshot.state)}
    return [
        _assignment_view(a, _with_latest_run(checks.get(a.configuration_id), snapshot, a))
        for a in snapshot.assignments
    ]


def _with_latest_run(check: dict | None, snapshot: SystemSnapshot, assignment: AssignmentItem) -> dict | None:
    """The view's check with its latest run from the check item (the view is stored only on change)."""
    item = snapshot.check_states.get(assignment.configuration_id)
    latest = (
        max((s.last_run_at for s in item.slices.values() if s.last_run_at), default=None) if item else None
    )
    if check is None or latest is None:
        return check
    return check | {"lastRunAt": max(latest, check.get("lastRunAt") or latest)}


def _assignment_view(assignment: AssignmentItem, check: dict | None) -> AssignmentView:
    return AssignmentView.model_validate(
        assignment.to_item()
        | {
            "status": check["status"] if check else "unknown",
            "lastRunAt": check["lastRunAt"] if check else None,
        }
    )


def put_assignment(
    c: Collaborators,
    system_id: str,
    configuration_id: str,
    request: AssignmentPut,
    *,
    expected_version: int | None,
) -> AssignmentView:
    """Create or replace an assignment, re-evaluate the system, then publish the change."""
    moment = c.clock()
    now, now_epoch = format_timestamp(moment), int(moment.timestamp())
    settings = request.model_dump(mode="json", by_alias=True)
    assignment, created = c.repository.put_assignment(
        system_id,
        configuration_id,
        settings,
        expected_version=expected_version,
        now=now,
        now_epoch=now_epoch,
        due_shards=c.settings.due_shards,
    )
    events = reevaluate_systems(c, [system_id])
    events.append(
        Event(
            ASSIGNMENT_CHANGED,
            {
                "systemId": system_id,
                "configurationId": configuration_id,
                "change": "assigned" if created else "updated",
            },
        )
    )
    outbox.publish_change(c, events, system_ids=[system_id])
    checks = _view_checks(c.repository.get_state(system_id))
    check = next((k for k in checks if k["configurationId"] == configuration_id), None)
    return _assignment_view(assignment, check)


def _view_checks(state: SystemStateItem | None) -> list[dict]:
    """The checks of a system's stored view, as the wire shows them."""
    return state.view.to_wire()["checks"] if state else []


def delete_assignment(c: Collaborators, system_id: str, configuration_id: str) -> None:
    """Remove an assignment, re-evaluate the system, then publish the change."""
    c.repository.delete_assignment(system_id, configuration_id, deleted_at=format_timestamp(c.clock()))
    events = reevaluate_systems(c, [system_id])
    events.append(
        Event(
            ASSIGNMENT_CHANGED,
            {"systemId": system_id, "configurationId": configuration_id, "change": "unassigned"},
        )
    )
    outbox.publish_change(c, events, system_ids=[system_id])
