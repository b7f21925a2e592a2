"""Managing status pages: create, read, list, change and delete (a change invalidates the page)."""

from __future__ import annotations

from typing import Protocol

from shared.domain.errors import NotFoundError, ValidationFailedError
from shared.domain.records import Page
from shared.domain.status_page_items import StatusPageItem
from shared.domain.status_pages import StatusPageCreate, StatusPagePatch, StatusPageView
from shared.domain.wire import format_timestamp
from shared.services.context import Collaborators
from shared.services.status_page_cache import page_cache, page_key


class StatusPagePort(Protocol):
    def create_status_page(self, page: StatusPageItem) -> StatusPageItem: ...
    def get_status_page(self, slug: str) -> StatusPageItem | None: ...
    def list_status_pages(self, *, limit: int, cursor: str | None) -> Page[StatusPageItem]: ...
    def replace_status_page(self, page: StatusPageItem, *, expected_version: int) -> StatusPageItem: ...
    def delete_status_page(self, slug: str) -> None: ...


def create_status_page(c: Collaborators, request: StatusPageCreate) -> StatusPageView:
    """Store a new page listing existing systems."""
    _require_systems(c, [s.system_id for s in request.systems])
    now = format_timestamp(c.clock())
    page = StatusPageItem.model_validate(
        request.to_wire() | {"createdAt": now, "updatedAt": now, "version": 1}
    )
    c.repository.create_status_page(page)
    page_cache(c).invalidate(page_key(request.slug))
    return page_view(page)


def page_view(page: StatusPageItem) -> StatusPageView:
    """A stored page as the API shows it."""
    return StatusPageView.model_validate(page, from_attributes=True)


def _stored_page(c: Collaborators, slug: str) -> StatusPageItem:
    page = c.repository.get_status_page(slug)
    if page is None:
        raise NotFoundError(f"status page {slug} not found")
    return page


def get_status_page(c: Collaborators, slug: str) -> StatusPageView:
    """One page's settings."""
    return page_view(_stored_page(c, slug))


def list_status_pages(c: Collaborators, *, limit: int, cursor: str | None) -> dict:
    """Pages in slug order, a page of them at a time."""
    found = c.repository.list_status_pages(limit=limit, cursor=cursor)
    return {
        "items": [page_view(p) for p in found.items],
        "next_cursor": found.next_cursor,
    }


def update_status_page(
    c: Collaborators, slug: str, request: StatusPagePatch, *, expected_version: int | None
) -> StatusPageView:
    """Change a page (compare-and-set on its version), then invalidate its cached settings."""
    current = _stored_page(c, slug)
    if expected_version is not None and expected_version != current.version:
        from shared.domain.errors import VersionMismatchError

        raise VersionMismatchError("the status page changed since you read it")
    changes = request.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if "systems" in changes:
        _require_systems(c, [s["systemId"] for s in changes["systems"]])
    moved = {"updatedAt": format_timestamp(c.clock()), "version": current.version + 1}
    page = StatusPageItem.model_validate(current.to_item() | changes | moved)
    c.repository.replace_status_page(page, expected_version=current.version)
    page_cache(c).invalidate(page_key(slug))
    return page_view(page)


def delete_status_page(c: Collaborators, slug: str) -> None:
    """Delete a page, then invalidate it."""
    c.repository.delete_status_page(slug)
    page_cache(c).invalidate(page_key(slug))


def _require_systems(c: Collaborators, system_ids: list[str]) -> None:
    found = c.repository.get_states(system_ids)
    missing = [s for s in system_ids if s not in found]
    if missing:
        raise ValidationFailedError(
            "unknown systems",
            [{"field": "body.systems", "message": f"system {s} not found"} for s in missing],
        )
