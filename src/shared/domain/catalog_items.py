"""Catalog items as the store keeps them (`<Noun>Item`): what the services hand the store and get back.

They keep the wire's camelCase names in the table; answers (`<Noun>View`) are built from them by the
services and shaped for the wire by the HTTP layer.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from shared.domain.wire import WireModel


class StoredItem(WireModel):
    def to_item(self) -> dict[str, Any]:
        """The attributes the store writes (camelCase, JSON types)."""
        return self.model_dump(mode="json", by_alias=True)


class SystemItem(StoredItem):
    """A system: what it is called, what it depends on, its version for compare-and-set."""

    id: str
    name: str
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    depends_on: list[str] = Field(default_factory=list)
    created_at: str
    updated_at: str
    version: int
