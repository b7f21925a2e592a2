"""Use cases of the management API for check configurations: create, read, patch, pause, delete.

A change re-evaluates every system the configuration is assigned to, then goes through the outbox.
"""

from __future__ import annotations

import uuid

from shared.domain.catalog_items import ConfigurationCheck, ConfigurationItem
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
    configuration = ConfigurationItem(
        id=request.id or str(uuid.uuid4()),
        name=request.name,
        strategy_id=request.strategy_id,
        config=config,
        interval_seconds=request.interval_seconds,
        timeout_seconds=request.timeout_seconds,
        assertions=[a.to_wire() for a in request.assertions],
        paused=False,
        created_at=now,
        updated_at=now,
        version=1,
    )
    created = c.repository.create_configuration(configuration)
    c.cache.invalidate_family()
    return _view(created)


def _view(configuration: ConfigurationItem) -> ConfigurationView:
    return ConfigurationView.model_validate(configuration.to_item())


def get_configuration(c: Collaborators, configuration_id: str) -> ConfigurationView:
    """One configuration, or NotFoundError."""
    return _view(c.repository.get_configuration(configuration_id))


def list_configurations(c: Collaborators, *, limit: int, cursor: str | None) -> dict:
    """A page of configurations."""
    page = c.repository.list_configurations(limit=limit, cursor=cursor)
    return {"items": [_view(configuration) for configuration in page.items], "next_cursor": page.next_cursor}


def update_configuration(
    c: Collaborators, configuration_id: str, patch: ConfigurationPatch, *, expected_version: int | None
) -> ConfigurationView:
    """Apply a patch; its cross-field rules are judged on the merged item inside the conditional write."""
    changes = patch.model_dump(by_alias=True, exclude_unset=True, exclude_none=True)
    new_config = "config" in changes or "strategyId" in changes

    def checked(merged: ConfigurationItem, stored: ConfigurationItem) -> ConfigurationItem:
        attributes = merged.to_item()
        rules = ConfigurationCreate.model_validate(
            {k: v for k, v in attributes.items() if k in CREATE_FIELDS}
        )
        if not new_config:
            return merged
        config = validate_config(
            rules.strategy_id, rules.config, allow_private_targets=c.settings.allow_private_targets
        )
        # Secret fields sent as `***` or left out keep the stored (sealed) value of the same strategy.
        previous = stored.config if rules.strategy_id == stored.strategy_id else None
        sealed = seal_config_secrets(c.encryptor, rules.strategy_id, rules.config, config, previous)
        return merged.model_copy(update={"config": sealed})

    return _change_configuration(c, configuration_id, changes, expected_version, checked)


def set_configuration_paused(c: Collaborators, configuration_id: str, paused: bool) -> ConfigurationView:
    """Pause or resume a configuration everywhere it is assigned."""
    return _change_configuration(c, configuration_id, {"paused": paused}, None)


def _change_configuration(
    c: Collaborators,
    configuration_id: str,
    changes: dict,
    expected_version: int | None,
    check: ConfigurationCheck | None = None,
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
    return _view(updated)


def delete_configuration(c: Collaborators, configuration_id: str) -> None:
    """Delete a configuration and every assignment of it, re-evaluating the systems affected."""
    removed = c.repository.delete_configuration(configuration_id, deleted_at=format_timestamp(c.clock()))
    events = reevaluate_systems(c, [a.system_id for a in removed])
    events += [
        Event(
            ASSIGNMENT_CHANGED,
            {"systemId": a.system_id, "configurationId": configuration_id, "change": "unassigned"},
        )
        for a in removed
    ]
    outbox.publish_change(c, events, every_system=True)
