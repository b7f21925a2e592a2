"""Use cases of the management API for check configurations: create, read, patch, pause, delete.

A change re-evaluates every system the configuration is assigned to, then goes through the outbox.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from shared.domain.models import ConfigurationCreate, ConfigurationPatch, ConfigurationView
from shared.domain.wire import format_timestamp
from shared.events import ASSIGNMENT_CHANGED, Event
from shared.services import outbox
from shared.services.context import Collaborators
from shared.services.health_state import reevaluate_systems
from shared.services.secret_config import seal_config_secrets
from shared.strategies import validate_config

CREATE_FIELDS = ("name", "strategyId", "config", "intervalSeconds", "timeoutSeconds", "assertions")


def create_configuration(c: Collaborators, request: ConfigurationCreate) -> ConfigurationView:
    """Create a check configuration after validating its strategy config."""
    now = format_timestamp(c.clock())
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
    return c.repository.list_configurations(limit=limit, cursor=cursor).validated(ConfigurationView)


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
    moment = c.clock()
    now, now_epoch = format_timestamp(moment), int(moment.timestamp())
    updated, system_ids = c.repository.update_configuration(
        configuration_id,
        changes,
        expected_version=expected_version,
        now=now,
        now_epoch=now_epoch,
        check=check,
        due_shards=c.settings.due_shards,
    )
    outbox.publish_change(c, reevaluate_systems(c, system_ids), every_system=True)
    return ConfigurationView.model_validate(updated)


def delete_configuration(c: Collaborators, configuration_id: str) -> None:
    """Delete a configuration and every assignment of it, re-evaluating the systems affected."""
    removed = c.repository.delete_configuration(configuration_id, deleted_at=format_timestamp(c.clock()))
    events = reevaluate_systems(c, [a["systemId"] for a in removed])
    events += [
        Event(
            ASSIGNMENT_CHANGED,
            {"systemId": a["systemId"], "configurationId": configuration_id, "change": "unassigned"},
        )
        for a in removed
    ]
    outbox.publish_change(c, events, every_system=True)
