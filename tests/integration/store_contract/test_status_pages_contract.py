"""The status page port's contract (pages by slug, compare-and-set, public systems), on DynamoDB and in memory."""

import pytest

from shared.domain.errors import ConflictError, NotFoundError, VersionMismatchError
from shared.domain.status_page_items import StatusPageItem
from shared.domain.status_pages import StatusPageSystem
from tests.integration.store_contract.conftest import NOW


def page(slug: str, *systems: str, public: bool = True, version: int = 1) -> StatusPageItem:
    return StatusPageItem(
        slug=slug,
        title=slug.title(),
        systems=[StatusPageSystem(system_id=s) for s in systems],
        public=public,
        created_at=NOW,
        updated_at=NOW,
        version=version,
    )


def test_a_page_is_created_once_read_back_and_listed_by_slug(store):
    # given
    store.create_status_page(page("shop", "web", "api"))
    store.create_status_page(page("internal", "db", public=False))
    # when / then
    with pytest.raises(ConflictError):
        store.create_status_page(page("shop", "other"))
    assert store.get_status_page("shop") == page("shop", "web", "api")
    assert store.get_status_page("nobody") is None
    first = store.list_status_pages(limit=1, cursor=None)
    second = store.list_status_pages(limit=1, cursor=first.next_cursor)
    assert [p.slug for p in first.items + second.items] == ["internal", "shop"]
    assert second.next_cursor is None


def test_a_page_is_replaced_only_at_the_version_read(store):
    # given
    store.create_status_page(page("shop", "web"))
    # when
    store.replace_status_page(page("shop", "web", "api", version=2), expected_version=1)
    # then
    with pytest.raises(VersionMismatchError):
        store.replace_status_page(page("shop", "db", version=3), expected_version=1)
    with pytest.raises(NotFoundError):
        store.replace_status_page(page("nobody", "db", version=2), expected_version=1)
    assert [s.system_id for s in store.get_status_page("shop").systems] == ["web", "api"]


def test_a_system_is_public_while_a_public_page_lists_it(store):
    # given
    store.create_status_page(page("shop", "web"))
    store.create_status_page(page("internal", "db", public=False))
    # then
    assert store.system_on_public_page("web")
    assert not store.system_on_public_page("db")
    # when the page stops listing it, then it is no longer public
    store.replace_status_page(page("shop", "api", version=2), expected_version=1)
    assert not store.system_on_public_page("web") and store.system_on_public_page("api")
    # when the page is deleted (once), then nothing it listed is public
    store.delete_status_page("shop")
    with pytest.raises(NotFoundError):
        store.delete_status_page("shop")
    assert not store.system_on_public_page("api")
    assert store.get_status_page("shop") is None
