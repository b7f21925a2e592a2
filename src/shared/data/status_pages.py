"""Status pages in the single table: one item per slug, listed through the ByType index."""

from __future__ import annotations

from shared.data import keys
from shared.data.base import TableBase, TransactionConflict, strip_keys
from shared.data.table import plain_key
from shared.domain.errors import ConflictError, NotFoundError, VersionMismatchError
from shared.domain.records import Page
from shared.domain.status_page_items import StatusPageItem

KIND = "STATUSPAGE"


class StatusPageStore(TableBase):
    def create_status_page(self, page: StatusPageItem) -> StatusPageItem:
        """Store a new page; a taken slug is a ConflictError."""
        try:
            self._transact([self.put_op(_keyed(page), "attribute_not_exists(pk)")])
        except TransactionConflict as conflict:
            raise ConflictError(f"status page {page.slug} already exists") from conflict
        self._sync_markers(page.slug, before=set(), after=page.public_systems())
        return page

    def get_status_page(self, slug: str) -> StatusPageItem | None:
        item = self._get(keys.status_page_key(slug))
        return StatusPageItem.model_validate(strip_keys(item)) if item else None

    def list_status_pages(self, *, limit: int, cursor: str | None) -> Page[StatusPageItem]:
        page = self._list_type(KIND, limit=limit, cursor=cursor)
        return Page([StatusPageItem.model_validate(strip_keys(i)) for i in page.items], page.next_cursor)

    def replace_status_page(self, page: StatusPageItem, *, expected_version: int) -> StatusPageItem:
        """Write a changed page if its version is still `expected_version`."""
        before = self.get_status_page(page.slug)
        try:
            self._transact([self.put_op(_keyed(page), "version = :v", {":v": expected_version})])
        except TransactionConflict as conflict:
            if self.get_status_page(page.slug) is None:
                raise NotFoundError(f"status page {page.slug} not found") from conflict
            raise VersionMismatchError("the status page changed since you read it") from conflict
        shown_before = before.public_systems() if before else set()
        self._sync_markers(page.slug, before=shown_before, after=page.public_systems())
        return page

    def delete_status_page(self, slug: str) -> None:
        removed = self._delete(keys.status_page_key(slug), condition="attribute_exists(pk)")
        if removed is None:
            raise NotFoundError(f"status page {slug} not found")
        shown_before = StatusPageItem.model_validate(strip_keys(removed)).public_systems()
        self._sync_markers(slug, before=shown_before, after=set())

    def system_on_public_page(self, system_id: str) -> bool:
        """Whether some public status page lists the system (one query of its partition, no scan)."""
        found = self._query_page(keys.system_partition(system_id), sk_prefix=keys.PUBLIC_PAGE_PREFIX, limit=1)
        return bool(found.items)

    def _sync_markers(self, slug: str, *, before: set[str], after: set[str]) -> None:
        marker = lambda system_id: keys.public_page_marker_key(system_id, slug)  # noqa: E731
        self._batch_write(
            puts=[plain_key(marker(s)) | {"slug": slug} for s in sorted(after - before)],
            deletes=[marker(s) for s in sorted(before - after)],
        )


def _keyed(page: StatusPageItem) -> dict:
    return plain_key(keys.status_page_key(page.slug) | keys.type_index(KIND, page.slug)) | page.to_item()
