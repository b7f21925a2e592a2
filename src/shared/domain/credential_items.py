"""Credential items as the store keeps them (`<Noun>Item`): API keys and satellites.

Attribute names are those already in the table (camelCase), so older items still load. The token's
salt and salted hash are fields of the item because authentication compares them, but they are left
out of its repr (so a logged item never shows them) and no view is built from them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import Field

from shared.domain.catalog_items import StoredItem
from shared.domain.wire import Role, parse_timestamp

DEFAULT_HEARTBEAT_SECONDS = 30
# A satellite is offline once it was silent for this many heartbeat intervals.
SILENT_INTERVALS = 3


class ApiKeyItem(StoredItem):
    """A management API key: its role, and the salted hash of its secret (never the secret)."""

    id: str
    name: str
    role: Role
    created_at: str
    token_salt: str = Field(repr=False)
    token_hash: str = Field(repr=False)


class SatelliteItem(StoredItem):
    """A satellite: where it runs, how often it says it is alive, when it was last heard from, and
    the salted hash of its token. `offline_handled` is set by the offline sweep and cleared by the
    next heartbeat; `version` guards a token rotation."""

    id: str
    name: str
    region: str = ""
    heartbeat_interval_seconds: int = DEFAULT_HEARTBEAT_SECONDS
    created_at: str
    updated_at: str | None = None
    version: int = 1
    last_seen_at: str | None = None
    offline_handled: bool = False
    token_salt: str = Field(repr=False)
    token_hash: str = Field(repr=False)

    def offline_at(self, now: datetime) -> bool:
        """Whether its last heartbeat or result is older than three heartbeat intervals at `now`."""
        if not self.last_seen_at:
            return True
        silence = timedelta(seconds=SILENT_INTERVALS * self.heartbeat_interval_seconds)
        return now - parse_timestamp(self.last_seen_at) > silence

    def heard_recently(self, now: datetime) -> bool:
        """Whether its last heartbeat or result is under one heartbeat interval old (and not marked
        offline): a results post then leaves lastSeenAt as it is, since going offline takes
        SILENT_INTERVALS of silence and a refresh skipped now can lag by at most one."""
        if not self.last_seen_at or self.offline_handled:
            return False
        return now - parse_timestamp(self.last_seen_at) < timedelta(seconds=self.heartbeat_interval_seconds)

    def to_item(self) -> dict[str, Any]:
        """The stored attributes; unset liveness attributes stay absent (the store's conditions test
        `attribute_not_exists(lastSeenAt)` and the sweep's flag is removed, not cleared)."""
        absent = {n for n in ("updated_at", "last_seen_at") if getattr(self, n) is None}
        if not self.offline_handled:
            absent.add("offline_handled")
        return self.model_dump(mode="json", by_alias=True, exclude=absent)
