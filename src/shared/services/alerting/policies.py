"""Alert policies: which systems, which channels, when, and how loud. Every channel a policy names
must exist when the policy is written; one deleted later is logged at delivery time."""

from __future__ import annotations

import uuid

from shared.domain.alerting import POLICY
from shared.domain.alerting_models import AlertPolicyCreate, AlertPolicyPatch, AlertPolicyView
from shared.domain.errors import ValidationFailedError, VersionMismatchError
from shared.domain.models import format_timestamp
from shared.services.alerting.context import Alerting


def create_policy(a: Alerting, request: AlertPolicyCreate) -> AlertPolicyView:
    """Store a new policy after checking that its channels exist."""
    body = request.model_dump(by_alias=True, exclude={"id"})
    _require_channels(a, body)
    now = format_timestamp(a.clock())
    item = body | {"id": request.id or str(uuid.uuid4()), "createdAt": now, "updatedAt": now, "version": 1}
    a.store.create_resource(POLICY, item)
    return AlertPolicyView.model_validate(item)


def get_policy(a: Alerting, policy_id: str) -> AlertPolicyView:
    """One alert policy, or NotFoundError."""
    return AlertPolicyView.model_validate(a.store.get_resource(POLICY, policy_id))


def list_policies(a: Alerting, *, limit: int, cursor: str | None) -> dict:
    """A page of alert policies."""
    page = a.store.list_resources(POLICY, limit=limit, cursor=cursor)
    return {"items": [AlertPolicyView.model_validate(i) for i in page.items], "next_cursor": page.next_cursor}


def update_policy(
    a: Alerting, policy_id: str, patch: AlertPolicyPatch, *, expected_version: int | None
) -> AlertPolicyView:
    """Change the given fields of a policy (an explicit null clears `remindEverySeconds`)."""
    current = a.store.get_resource(POLICY, policy_id)
    if expected_version is not None and current["version"] != expected_version:
        raise VersionMismatchError(f"alert policy {policy_id} is at version {current['version']}")
    changes = patch.model_dump(by_alias=True, exclude_unset=True)
    changes = {k: v for k, v in changes.items() if v is not None or k == "remindEverySeconds"}
    merged = current | changes
    _require_channels(a, merged)
    merged |= {"updatedAt": format_timestamp(a.clock()), "version": current["version"] + 1}
    a.store.replace_resource(POLICY, merged, expected_version=current["version"])
    return AlertPolicyView.model_validate(merged)


def delete_policy(a: Alerting, policy_id: str) -> None:
    """Delete an alert policy."""
    a.store.delete_resource(POLICY, policy_id)


def _require_channels(a: Alerting, policy: dict) -> None:
    named = list(policy["channelIds"]) + [c for e in policy.get("escalations", []) for c in e["channelIds"]]
    missing = sorted(set(named) - set(a.store.get_channels(named)))
    if missing:
        raise ValidationFailedError(
            "the policy names channels that do not exist",
            [{"field": "body.channelIds", "message": f"unknown channel {m}"} for m in missing],
        )
