"""The status page item as the store keeps it (`StatusPageItem`): a page's settings under its slug.

Attribute names are those already in the table (camelCase, the request's wire names), so older items
still load; its systems and what it shows are the request's own models (`domain/status_pages.py`)."""

from __future__ import annotations

from pydantic import Field

from shared.domain.catalog_items import StoredItem
from shared.domain.status_pages import StatusPageShow, StatusPageSystem


class StatusPageItem(StoredItem):
    """A status page: its systems (in the order shown), whether anyone may read it, what it shows,
    and its version for compare-and-set."""

    slug: str
    title: str
    systems: list[StatusPageSystem]
    public: bool = True
    show: StatusPageShow = Field(default_factory=StatusPageShow)
    created_at: str
    updated_at: str
    version: int

    def public_systems(self) -> set[str]:
        """The systems this page makes public (none when the page is private)."""
        return {s.system_id for s in self.systems} if self.public else set()
