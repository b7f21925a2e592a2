"""Status pages in memory (StatusPagePort and the badge's public-page question), as the repository
keeps them: one page per slug, a taken slug a conflict, replace only at the expected version."""

from __future__ import annotations

from shared.domain.errors import ConflictError, NotFoundError, VersionMismatchError
from shared.domain.records import Page
from shared.domain.status_page_items import StatusPageItem
from tests.fakes.memory_pages import page_of


class MemoryStatusPages:
    status_pages: dict[str, StatusPageItem]

    def create_status_page(self, page: StatusPageItem) -> StatusPageItem:
        if page.slug in self.status_pages:
            raise ConflictError(f"status page {page.slug} already exists")
        self.status_pages[page.slug] = page.model_copy(deep=True)
        return page

    def get_status_page(self, slug: str) -> StatusPageItem | None:
        found = self.status_pages.get(slug)
        return found.model_copy(deep=True) if found else None

    def list_status_pages(self, *, limit: int, cursor: str | None) -> Page[StatusPageItem]:
        return page_of(self.status_pages, limit=limit, cursor=cursor)

    def replace_status_page(self, page: StatusPageItem, *, expected_version: int) -> StatusPageItem:
        current = self.status_pages.get(page.slug)
        if current is None:
            raise NotFoundError(f"status page {page.slug} not found")
        if current.version != expected_version:
            raise VersionMismatchError("the status page changed since you read it")
        self.status_pages[page.slug] = page.model_copy(deep=True)
        return page

    def delete_status_page(self, slug: str) -> None:
        if self.status_pages.pop(slug, None) is None:
            raise NotFoundError(f"status page {slug} not found")

    def system_on_public_page(self, system_id: str) -> bool:
        return any(system_id in page.public_systems() for page in self.status_pages.values())
