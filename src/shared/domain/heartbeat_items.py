"""Heartbeat items as the store keeps them (`<Noun>Item`): a ping token's target and a heartbeat's
deadline state. Attribute names are those already in the table (camelCase), so older items still load;
the token is kept only as its hash, and the hash is left out of every repr."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from shared.domain.catalog_items import StoredItem


class PingTargetItem(StoredItem):
    """The check a ping token (filed under its hash) pings."""

    system_id: str
    configuration_id: str


class HeartbeatItem(StoredItem):
    """A heartbeat check's state, in epoch seconds: when the next ping is due (`deadline`), the last
    ping, the start of a job that has not finished yet, and the hash of its current ping token. Each
    attribute is written by its own update, so any of them may be absent."""

    token_hash: str | None = Field(None, repr=False)
    deadline: int | None = None
    last_ping_at: int | None = None
    started_at: int | None = None

    def to_item(self) -> dict[str, Any]:
        """The stored attributes; absent ones stay absent (the store's conditions test them)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
