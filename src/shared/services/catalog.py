"""Use cases of the management API: systems, configurations, assignments, maintenance.

Every mutation follows ARCHITECTURE.md invariant 1: write the store, re-evaluate the health
state it affects, invalidate the status cache and wait for it, then publish events.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from shared.domain.assignment_models import AssignmentPut, AssignmentView
from shared.domain.errors import NotFoundError, ValidationFailedError
from shared.domain.models import (
    ConfigurationCreate,
    ConfigurationPatch,
    ConfigurationView,
    MaintenanceCreate,
    MaintenanceView,
    SystemCreate,
    SystemPatch,
    SystemView,
)
from shared.domain.records import Page
from shared.domain.wire import format_timestamp
from shared.events import ASSIGNMENT_CHANGED, Event
from shared.services import outbox
from shared.services.context import Collaborators
from shared.services.health_state import initial_state, reevaluate_systems
from shared.services.secret_config import seal_config_secrets
from shared.services.status_page_cache import page_cache
from shared.strategies import validate_config

CREATE_FIELDS = ("name", "strategyId", "config", "intervalSeconds", "timeoutSeconds", "assertions")


def _now(c: Collaborators) -> tuple[str, int]:
    moment = c.clock()
    return format_timestamp(moment), int(moment.timestamp())


def _page(page: Page, view: type) -> dict:
    return {"items": [view.model_validate(i) for i in page.items], "next_cursor": page.next_cursor}


# --- systems -----------------------------------------------------------------------------------


MAX_DEPENDENCY_WALK = 500


def create_system(c: Collaborators, request: SystemCreate) -> SystemView:
    """Create a system with an unknown initial health state."""
    now, _ = _now(c)
    system_id = request.id or str(uuid.uuid4())
    _require_dependencies(c, system_id, request.depends_on)
    system = {
        "id": system_id,
        "name": request.name,
        "description": request.description,
        "tags": request.tags,
        "dependsOn": request.depends_on,
        "createdAt": now,
        "updatedAt": now,
        "version": 1,
    }
    c.repository.create_system(system, initial_state(system_id, now))
    return SystemView.model_validate(system)


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
            pending.extend(c.repository.get_system(dependency).get("dependsOn", []))
        except NotFoundError:
            if dependency in direct:
                problems.append({"field": "body.dependsOn", "message": f"unknown system {dependency}"})
    if problems:
        raise ValidationFailedError("dependsOn names systems that cannot be dependencies", problems)


def get_system(c: Collaborators, system_id: str) -> SystemView:
    """One system, or NotFoundError."""
    return SystemView.model_validate(c.repository.get_system(system_id))


def list_systems(c: Collaborators, *, limit: int, cursor: str | None) -> dict:
    """A page of systems."""
    return _page(c.repository.list_systems(limit=limit, cursor=cursor), SystemView)


def update_system(
    c: Collaborators, system_id: str, patch: SystemPatch, *, expected_version: int | None
) -> SystemView:
    """Apply a patch to a system (compare-and-set on its version)."""
    now, _ = _now(c)
    changes = patch.model_dump(by_alias=True, exclude_unset=True, exclude_none=True)
    if "dependsOn" in changes:
        _require_dependencies(c, system_id, changes["dependsOn"])
    return SystemView.model_validate(
        c.repository.update_system(system_id, changes, expected_version=expected_version, now=now)
    )


def delete_system(c: Collaborators, system_id: str) -> None:
    """Delete a system with its assignments; one `unassigned` event per assignment it had."""
    assignments = c.repository.delete_system(system_id)
    events = [
        Event(
            ASSIGNMENT_CHANGED,
            {"systemId": system_id, "configurationId": a["configurationId"], "change": "unassigned"},
        )
        for a in assignments
    ]
    outbox.publish_change(c, events, system_ids=[system_id])


# --- configurations ----------------------------------------------------------------------------


def create_configuration(c: Collaborators, request: ConfigurationCreate) -> ConfigurationView:
    """Create a check configuration after validating its strategy config."""
    now, _ = _now(c)
    config = validate_config(
        request.strategy_id, request.config, allow_private_targets=c.settings.allow_private_targets
    )
    config = seal_config_secrets(c.encryptor, request.strategy_id, request.config, config)
    configuration = {
        "id": request.id or str(uuid.uuid4()),
        "name": request.name,
        "strategyId": request.strategy_id,
        "config": config,
        "intervalSeconds": request.interval_seconds,
        "timeoutSeconds": request.timeout_seconds,
        "assertions": [a.to_wire() for a in request.assertions],
        "paused": False,
        "createdAt": now,
        "updatedAt": now,
        "version": 1,
    }
    c.repository.create_configuration(configuration)
    c.cache.invalidate_family()
    return ConfigurationView.model_validate(configuration)


def get_configuration(c: Collaborators, configuration_id: str) -> ConfigurationView:
    """One configuration, or NotFoundError."""
    return ConfigurationView.model_validate(c.repository.get_configuration(configuration_id))


def list_configurations(c: Collaborators, *, limit: int, cursor: str | None) -> dict:
    """A page of configurations."""
    return _page(c.repository.list_configurations(limit=limit, cursor=cursor), ConfigurationView)


def update_configuration(
    c: Collaborators, configuration_id: str, patch: ConfigurationPatch, *, expected_version: int | None
) -> ConfigurationView:
    """Apply a patch; its cross-field rules are judged on the merged item inside the conditional write."""
    changes = patch.model_dump(by_alias=True, exclude_unset=True, exclude_none=True)
    new_config = "config" in changes or "strategyId" in changes

    def checked(merged: dict, stored: dict) -> dict:
        rules = ConfigurationCreate.model_validate({k: v for k, v in merged.items() if k in CREATE_FIELDS})
        if not new_config:
            return merged
        config = validate_config(
            rules.strategy_id, rules.config, allow_private_targets=c.settings.allow_private_targets
        )
        # Secret fields sent as `***` or left out keep the stored (sealed) value of the same strategy.
        previous = stored["config"] if rules.strategy_id == stored["strategyId"] else None
        return merged | {
            "config": seal_config_secrets(c.encryptor, rules.strategy_id, rules.config, config, previous)
        }

    return _change_configuration(c, configuration_id, changes, expected_version, checked)


def set_configuration_paused(c: Collaborators, configuration_id: str, paused: bool) -> ConfigurationView:
    """Pause or resume a configuration everywhere it is assigned."""
    return _change_configuration(c, configuration_id, {"paused": paused}, None)


def _change_configuration(
    c: Collaborators,
    configuration_id: str,
    changes: dict,
    expected_version: int | None,
    check: Callable[[dict, dict], dict] | None = None,
) -> ConfigurationView:
    now, now_epoch = _now(c)
    updated, system_ids = c.repository.update_configuration(
        configuration_id,
        changes,
        expected_version=expected_version,
        now=now,
        now_epoch=now_epoch,
        check=check,
    )
    outbox.publish_change(c, reevaluate_systems(c, system_ids), every_system=True)
    return ConfigurationView.model_validate(updated)


def delete_configuration(c: Collaborators, configuration_id: str) -> None:
    """Delete a configuration and every assignment of it, re-evaluating the systems affected."""
    removed = c.repository.delete_configuration(configuration_id)
    events = reevaluate_systems(c, [a["systemId"] for a in removed])
    events += [
        Event(
            ASSIGNMENT_CHANGED,
            {"systemId": a["systemId"], "configurationId": configuration_id, "change": "unassigned"},
        )
        for a in removed
    ]
    outbox.publish_change(c, events, every_system=True)


# --- assignments -------------------------------------------------------------------------------


def assignment_views(c: Collaborators, system_id: str) -> list[AssignmentView]:
    """A system's assignments with the status and last run of each check."""
    snapshot = c.repository.system_snapshot(system_id)
    if snapshot["system"] is None:
        from shared.domain.errors import NotFoundError

        raise NotFoundError(f"system {system_id} not found")
    checks = {
        check["configurationId"]: check
        for check in ((snapshot["state"] or {}).get("view") or {}).get("checks", [])
    }
    return [_assignment_view(a, checks.get(a["configurationId"])) for a in snapshot["assignments"]]


def _assignment_view(assignment: dict, check: dict | None) -> AssignmentView:
    return AssignmentView.model_validate(
        assignment
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
    now, now_epoch = _now(c)
    settings = request.model_dump(mode="json", by_alias=True)
    assignment, created = c.repository.put_assignment(
        system_id, configuration_id, settings, expected_version=expected_version, now=now, now_epoch=now_epoch
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
    state = c.repository.get_state(system_id) or {}
    check = next(
        (k for k in (state.get("view") or {}).get("checks", []) if k["configurationId"] == configuration_id),
        None,
    )
    return _assignment_view(assignment, check)


def delete_assignment(c: Collaborators, system_id: str, configuration_id: str) -> None:
    """Remove an assignment, re-evaluate the system, then publish the change."""
    c.repository.delete_assignment(system_id, configuration_id)
    events = reevaluate_systems(c, [system_id])
    events.append(
        Event(
            ASSIGNMENT_CHANGED,
            {"systemId": system_id, "configurationId": configuration_id, "change": "unassigned"},
        )
    )
    outbox.publish_change(c, events, system_ids=[system_id])


# --- maintenance -------------------------------------------------------------------------------


def create_maintenance(c: Collaborators, system_id: str, request: MaintenanceCreate) -> MaintenanceView:
    """Open a maintenance window on a system."""
    now, _ = _now(c)
    maintenance = {
        "id": str(uuid.uuid4()),
        "systemId": system_id,
        "title": request.title,
        "startsAt": format_timestamp(request.starts_at),
        "endsAt": format_timestamp(request.ends_at),
        "suppressNotifications": request.suppress_notifications,
        "createdAt": now,
    }
    c.repository.create_maintenance(maintenance)
    _maintenance_changed(c)
    return MaintenanceView.model_validate(maintenance)


def list_maintenances(c: Collaborators, system_id: str) -> list[MaintenanceView]:
    """A system's maintenance windows."""
    snapshot = c.repository.system_snapshot(system_id)
    if snapshot["system"] is None:
        from shared.domain.errors import NotFoundError

        raise NotFoundError(f"system {system_id} not found")
    return [MaintenanceView.model_validate(m) for m in snapshot["maintenances"]]


def delete_maintenance(c: Collaborators, system_id: str, maintenance_id: str) -> None:
    """Delete a maintenance window."""
    c.repository.delete_maintenance(system_id, maintenance_id)
    _maintenance_changed(c)


def _maintenance_changed(c: Collaborators) -> None:
    # Status pages show maintenance banners from cached cards and renders: drop them all at once
    # (one family bump, rare) so a banner is never late. Start and end are each render's own expiry.
    page_cache(c).invalidate_family()
