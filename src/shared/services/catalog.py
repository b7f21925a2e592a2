"""Use cases of the management API for systems and their maintenance windows (configurations in
`configurations.py`, assignments in `assignments.py`).

Every mutation follows ARCHITECTURE.md invariant 1: write the store, re-evaluate the health
state it affects, invalidate the status cache and wait for it, then publish events.
"""

from __future__ import annotations

import uuid

from shared.domain.catalog_items import MaintenanceItem, SystemItem
from shared.domain.errors import NotFoundError, ValidationFailedError
from shared.domain.models import (
    MaintenanceCreate,
    MaintenanceView,
    SystemCreate,
    SystemPatch,
    SystemView,
)
from shared.domain.wire import format_timestamp
from shared.events import ASSIGNMENT_CHANGED, Event
from shared.services import outbox
from shared.services.context import Collaborators
from shared.services.health_state import initial_state
from shared.services.status_page_cache import page_cache

# --- systems -----------------------------------------------------------------------------------


MAX_DEPENDENCY_WALK = 500


def create_system(c: Collaborators, request: SystemCreate) -> SystemView:
    """Create a system with an unknown initial health state."""
    now = format_timestamp(c.clock())
    system_id = request.id or str(uuid.uuid4())
    _require_dependencies(c, system_id, request.depends_on)
    system = SystemItem(
        id=system_id,
        name=request.name,
        description=request.description,
        tags=request.tags,
        depends_on=request.depends_on,
        created_at=now,
        updated_at=now,
        version=1,
    )
    return _view(c.repository.create_system(system, initial_state(system_id, now)))


def _view(system: SystemItem) -> SystemView:
    return SystemView.model_validate(system, from_attributes=True)


def _require_dependencies(c: Collaborators, system_id: str, depends_on: list[str]) -> None:
    """A system may depend on existing other systems only, and never on itself through others: in a
    cycle of unhealthy systems each would hold the others' alerts back and nobody would be paged."""
    problems = []
    pending, seen = list(dict.fromkeys(depends_on)), set()
    direct = set(depends_on)
    while pending and len(seen) < MAX_DEPENDENCY_WALK:
        dependency = pending.pop()
        if dependency in seen:
            continue
        seen.add(dependency)
        if dependency == system_id:
            problems.append({"field": "body.dependsOn", "message": f"{system_id} would depend on itself"})
            break
        try:
            pending.extend(c.repository.get_system(dependency).depends_on)
        except NotFoundError:
            if dependency in direct:
                problems.append({"field": "body.dependsOn", "message": f"unknown system {dependency}"})
    if problems:
        raise ValidationFailedError("dependsOn names systems that cannot be dependencies", problems)


def get_system(c: Collaborators, system_id: str) -> SystemView:
    """One system, or NotFoundError."""
    return _view(c.repository.get_system(system_id))


def list_systems(c: Collaborators, *, limit: int, cursor: str | None) -> dict:
    """A page of systems."""
    page = c.repository.list_systems(limit=limit, cursor=cursor)
    return {"items": [_view(system) for system in page.items], "next_cursor": page.next_cursor}


def update_system(
    c: Collaborators, system_id: str, patch: SystemPatch, *, expected_version: int | None
) -> SystemView:
    """Apply a patch to a system (compare-and-set on its version)."""
    now = format_timestamp(c.clock())
    changes = patch.model_dump(by_alias=True, exclude_unset=True, exclude_none=True)
    if "dependsOn" in changes:
        _require_dependencies(c, system_id, changes["dependsOn"])
    return _view(c.repository.update_system(system_id, changes, expected_version=expected_version, now=now))


def delete_system(c: Collaborators, system_id: str) -> None:
    """Delete a system with its assignments; one `unassigned` event per assignment it had."""
    assignments = c.repository.delete_system(system_id, deleted_at=format_timestamp(c.clock()))
    events = [
        Event(
            ASSIGNMENT_CHANGED,
            {"systemId": system_id, "configurationId": a.configuration_id, "change": "unassigned"},
        )
        for a in assignments
    ]
    outbox.publish_change(c, events, system_ids=[system_id])


# --- maintenance -------------------------------------------------------------------------------


def create_maintenance(c: Collaborators, system_id: str, request: MaintenanceCreate) -> MaintenanceView:
    """Open a maintenance window on a system."""
    now = format_timestamp(c.clock())
    maintenance = MaintenanceItem(
        id=str(uuid.uuid4()),
        system_id=system_id,
        title=request.title,
        starts_at=format_timestamp(request.starts_at),
        ends_at=format_timestamp(request.ends_at),
        suppress_notifications=request.suppress_notifications,
        created_at=now,
    )
    created = c.repository.create_maintenance(maintenance)
    _maintenance_changed(c)
    return _maintenance_view(created)


def _maintenance_view(maintenance: MaintenanceItem) -> MaintenanceView:
    return MaintenanceView.model_validate(maintenance, from_attributes=True)


def list_maintenances(c: Collaborators, system_id: str) -> list[MaintenanceView]:
    """A system's maintenance windows."""
    snapshot = c.repository.system_snapshot(system_id)
    if snapshot.system is None:
        raise NotFoundError(f"system {system_id} not found")
    return [_maintenance_view(m) for m in snapshot.maintenances]


def delete_maintenance(c: Collaborators, system_id: str, maintenance_id: str) -> None:
    """Delete a maintenance window."""
    c.repository.delete_maintenance(system_id, maintenance_id)
    _maintenance_changed(c)


def _maintenance_changed(c: Collaborators) -> None:
    # Status pages show maintenance banners from cached cards and renders: drop them all at once
    # (one family bump, rare) so a banner is never late. Start and end are each render's own expiry.
    page_cache(c).invalidate_family()
