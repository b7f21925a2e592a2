"""Alert channels: create (the webhook signing secret is shown once), read redacted, change, delete,
test. Secret fields are sealed by the encryptor before they are stored."""

from __future__ import annotations

import secrets
import uuid
from urllib.parse import urlsplit

from shared.domain.alerting import CHANNEL
from shared.domain.alerting_messages import notification_for
from shared.domain.alerting_models import (
    CHANNEL_CONFIGS,
    SECRET_CONFIG_FIELDS,
    SECRET_SHOWN,
    ChannelCreate,
    ChannelCreated,
    ChannelPatch,
    ChannelTestResult,
    ChannelView,
)
from shared.domain.errors import ValidationFailedError, VersionMismatchError
from shared.domain.models import format_timestamp
from shared.services.alerting.context import Alerting
from shared.strategies.targets import forbidden_literal_reason

SIGNING_SECRET_PREFIX = "whsec_"


def create_channel(a: Alerting, request: ChannelCreate) -> ChannelCreated:
    """Store a channel; a webhook gets a new signing secret, answered here and never again."""
    _refuse_private_target(a, request.type, request.config)
    now = format_timestamp(a.clock())
    signing_secret = SIGNING_SECRET_PREFIX + secrets.token_urlsafe(32) if request.type == "webhook" else None
    item = {
        "id": request.id or str(uuid.uuid4()),
        "name": request.name,
        "type": request.type,
        "config": _sealed(a, request.type, request.config),
        "createdAt": now,
        "updatedAt": now,
        "version": 1,
    }
    if signing_secret:
        item["signingSecret"] = a.encryptor.encrypt(signing_secret)
    a.store.create_resource(CHANNEL, item)
    return ChannelCreated(channel=channel_view(item), signing_secret=signing_secret)


def get_channel(a: Alerting, channel_id: str) -> ChannelView:
    """One channel with its secrets hidden, or NotFoundError."""
    return channel_view(a.store.get_resource(CHANNEL, channel_id))


def list_channels(a: Alerting, *, limit: int, cursor: str | None) -> dict:
    """A page of channels with their secrets hidden."""
    page = a.store.list_resources(CHANNEL, limit=limit, cursor=cursor)
    return {"items": [channel_view(i) for i in page.items], "next_cursor": page.next_cursor}


def update_channel(
    a: Alerting, channel_id: str, patch: ChannelPatch, *, expected_version: int | None
) -> ChannelView:
    """Change a channel's name or config; omitted or `***` secret fields keep their stored value."""
    current = a.store.get_resource(CHANNEL, channel_id)
    if expected_version is not None and current["version"] != expected_version:
        raise VersionMismatchError(f"channel {channel_id} is at version {current['version']}")
    changed = dict(current)
    if patch.name is not None:
        changed["name"] = patch.name
    if patch.config is not None:
        given = {k: v for k, v in patch.config.items() if v != SECRET_SHOWN}
        merged = _unsealed_config(a, current) | given
        try:
            validated = CHANNEL_CONFIGS[current["type"]].model_validate(merged).to_wire()
        except ValueError as error:
            raise ValidationFailedError(
                "the channel config is not valid", [{"field": "body.config", "message": str(error)}]
            ) from error
        _refuse_private_target(a, current["type"], validated)
        changed["config"] = _sealed(a, current["type"], validated)
    changed |= {"updatedAt": format_timestamp(a.clock()), "version": current["version"] + 1}
    a.store.replace_resource(CHANNEL, changed, expected_version=current["version"])
    return channel_view(changed)


def delete_channel(a: Alerting, channel_id: str) -> None:
    """Delete a channel; policies naming it keep working and log its deliveries as not sent."""
    a.store.delete_resource(CHANNEL, channel_id)


def test_channel(a: Alerting, channel_id: str) -> ChannelTestResult:
    """Send a test notification now and answer with what the channel said."""
    channel = a.store.get_resource(CHANNEL, channel_id)
    now = format_timestamp(a.clock())
    incident = {
        "id": f"test-{uuid.uuid4().hex[:12]}",
        "systemId": "test",
        "systemName": "Test notification",
        "status": "open",
        "healthStatus": "unhealthy",
        "openedAt": now,
    }
    notification = notification_for(incident, "test", "test", channel_id, link_base=a.link_base)
    result = a.senders[channel["type"]].send(unsealed_channel(a, channel), notification)
    return ChannelTestResult(
        channel_id=channel_id,
        delivered=result.delivered,
        status_code=result.status_code,
        latency_ms=result.latency_ms,
        error=result.error,
    )


def channel_view(item: dict) -> ChannelView:
    """A stored channel as answered: secret config fields shown as `***`."""
    shown = {
        k: SECRET_SHOWN if k in SECRET_CONFIG_FIELDS.get(item["type"], ()) else v
        for k, v in item["config"].items()
    }
    return ChannelView.model_validate(item | {"config": shown})


def unsealed_channel(a: Alerting, item: dict) -> dict:
    """A stored channel with its secrets in clear: for senders only."""
    unsealed = item | {"config": _unsealed_config(a, item)}
    if item.get("signingSecret"):
        unsealed["signingSecret"] = a.encryptor.decrypt(item["signingSecret"])
    return unsealed


def _sealed(a: Alerting, channel_type: str, config: dict) -> dict:
    secret_fields = SECRET_CONFIG_FIELDS.get(channel_type, ())
    return {k: a.encryptor.encrypt(v) if k in secret_fields else v for k, v in config.items()}


def _unsealed_config(a: Alerting, item: dict) -> dict:
    secret_fields = SECRET_CONFIG_FIELDS.get(item["type"], ())
    return {k: a.encryptor.decrypt(v) if k in secret_fields else v for k, v in item["config"].items()}


def _refuse_private_target(a: Alerting, channel_type: str, config: dict) -> None:
    """HTTP channels pass the probes' SSRF guard: a literal private address or loopback name is refused
    here; names that resolve to one are refused at send time."""
    url = config.get("url") if channel_type == "webhook" else None
    if a.allow_private_targets or not url:
        return
    reason = forbidden_literal_reason(urlsplit(url).hostname or "")
    if reason:
        raise ValidationFailedError(
            "the channel URL is not a public address", [{"field": "body.config.url", "message": reason}]
        )
