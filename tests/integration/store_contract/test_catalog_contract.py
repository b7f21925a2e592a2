"""The catalog port's contract (systems, configurations, assignments, maintenance), on DynamoDB and in
memory."""

import pytest

from shared.domain.catalog_items import AssignmentItem, ConfigurationItem, MaintenanceItem, SystemItem
from shared.domain.errors import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    ValidationFailedError,
    VersionMismatchError,
)
from shared.domain.system_state import initial_state
from tests.integration.store_contract.conftest import NOW, SETTINGS

LATER = "2030-01-01T00:01:00.000Z"


def system(system_id: str) -> SystemItem:
    return SystemItem(id=system_id, name=system_id.title(), created_at=NOW, updated_at=NOW, version=1)


def assign(store, system_id: str = "shop", configuration_id: str = "web", **settings) -> AssignmentItem:
    assignment, _ = store.put_assignment(
        system_id, configuration_id, SETTINGS | settings, expected_version=None, now=NOW, now_epoch=0
    )
    return assignment


def window(system_id: str) -> MaintenanceItem:
    return MaintenanceItem(
        id="m1", system_id=system_id, title="Upgrade", starts_at=NOW, ends_at=LATER, created_at=NOW
    )


def test_systems_are_listed_in_id_order_page_by_page_without_repeats(store):
    # given
    for system_id in ("c", "a", "b"):
        store.create_system(system(system_id), initial_state(system_id, NOW))
    # when
    first = store.list_systems(limit=2, cursor=None)
    second = store.list_systems(limit=2, cursor=first.next_cursor)
    # then
    assert [s.id for s in first.items] == ["a", "b"]
    assert [s.id for s in second.items] == ["c"]
    assert second.next_cursor is None


def test_a_cursor_that_is_not_the_stores_own_is_a_bad_request(store):
    with pytest.raises(BadRequestError):
        store.list_systems(limit=2, cursor="not a cursor")


def test_a_system_update_is_a_compare_and_set_on_its_version(shop):
    # when
    updated = shop.update_system("shop", {"name": "Shop 2"}, expected_version=1, now=LATER)
    # then
    assert (updated.name, updated.version, updated.updated_at) == ("Shop 2", 2, LATER)
    assert shop.get_system("shop") == updated
    with pytest.raises(VersionMismatchError):
        shop.update_system("shop", {"name": "Stale"}, expected_version=1, now=LATER)
    with pytest.raises(NotFoundError):
        shop.update_system("nope", {"name": "X"}, expected_version=None, now=LATER)
    assert shop.get_system("shop").name == "Shop 2"


def test_deleting_a_system_takes_its_assignments_and_maintenance_and_leaves_a_tombstone(shop):
    # given
    assign(shop)
    shop.create_maintenance(window("shop"))
    # when
    removed = shop.delete_system("shop", deleted_at=NOW)
    # then
    assert [a.configuration_id for a in removed] == ["web"]
    with pytest.raises(NotFoundError):
        shop.get_system("shop")
    with pytest.raises(NotFoundError):
        shop.get_assignment("shop", "web")
    (tombstone,) = [t for t in shop.tombstones(limit=10) if t["kind"] == "system"]
    assert (tombstone["systemId"], tombstone["configurationIds"], tombstone["deletedAt"]) == (
        "shop",
        ["web"],
        NOW,
    )
    with pytest.raises(NotFoundError):
        shop.delete_system("shop", deleted_at=NOW)


def test_a_configuration_change_reaches_its_assignments_and_names_their_systems(shop):
    # given
    shop.create_system(system("cart"), initial_state("cart", NOW))
    assign(shop, "shop")
    assign(shop, "cart")
    # when
    updated, system_ids = shop.update_configuration(
        "web", {"name": "Web 2", "paused": True}, expected_version=1, now=LATER, now_epoch=60
    )
    # then
    assert (updated.version, updated.name, updated.paused, sorted(system_ids)) == (
        2,
        "Web 2",
        True,
        ["cart", "shop"],
    )
    assignment = shop.get_assignment("cart", "web")
    assert (assignment.configuration_name, assignment.configuration_paused) == ("Web 2", True)


def test_a_configuration_check_judges_the_merged_item_and_a_refusal_stores_nothing(shop):
    # given
    seen = []

    def check(merged: ConfigurationItem, stored: ConfigurationItem) -> ConfigurationItem:
        seen.append((merged.interval_seconds, stored.interval_seconds))
        if merged.interval_seconds < 30:
            raise ValidationFailedError("too often", [])
        return merged.model_copy(update={"name": merged.name.upper()})

    # when
    updated, _ = shop.update_configuration(
        "web", {"intervalSeconds": 120}, expected_version=None, now=LATER, now_epoch=0, check=check
    )
    with pytest.raises(ValidationFailedError):
        shop.update_configuration(
            "web", {"intervalSeconds": 10}, expected_version=None, now=LATER, now_epoch=0, check=check
        )
    # then
    assert seen == [(120, 60), (10, 120)]
    assert shop.get_configuration("web") == updated
    assert (updated.interval_seconds, updated.name, updated.version) == (120, "WEB", 2)


def test_deleting_a_configuration_returns_and_removes_its_assignments(shop):
    # given
    assign(shop)
    # when
    removed = shop.delete_configuration("web", deleted_at=NOW)
    # then
    assert [a.system_id for a in removed] == ["shop"]
    assert shop.system_snapshot("shop").assignments == []
    assert shop.get_configurations(["web"]) == {}
    with pytest.raises(NotFoundError):
        shop.delete_configuration("web", deleted_at=NOW)


def test_an_assignment_is_replaced_by_version_and_names_only_known_satellites(shop):
    # given
    first = assign(shop)
    # when
    replaced, created = shop.put_assignment(
        "shop", "web", SETTINGS | {"enabled": False}, expected_version=1, now=LATER, now_epoch=0
    )
    # then
    assert created is False
    assert (replaced.version, replaced.created_at, replaced.enabled) == (2, first.created_at, False)
    assert replaced.stored_retention == first.retention
    with pytest.raises(VersionMismatchError):
        shop.put_assignment("shop", "web", SETTINGS, expected_version=1, now=LATER, now_epoch=0)
    with pytest.raises(ValidationFailedError):
        shop.put_assignment(
            "shop",
            "web",
            SETTINGS | {"satelliteIds": ["ghost"]},
            expected_version=None,
            now=LATER,
            now_epoch=0,
        )
    assert shop.get_assignment("shop", "web") == replaced


def test_assignments_are_read_by_pair_once_each_and_deleted_once(shop):
    # given
    assign(shop)
    # when
    found = shop.get_assignments([("shop", "web"), ("shop", "web"), ("shop", "nope")])
    listed = shop.list_assignments_page(limit=10, cursor=None)
    removed = shop.delete_assignment("shop", "web", deleted_at=NOW)
    # then
    assert [(a.system_id, a.configuration_id) for a in found] == [("shop", "web")]
    assert [(a.system_id, a.configuration_id) for a in listed.items] == [("shop", "web")]
    assert removed.configuration_id == "web"
    with pytest.raises(NotFoundError):
        shop.delete_assignment("shop", "web", deleted_at=NOW)


def test_maintenance_belongs_to_an_existing_system_and_is_seen_in_its_snapshot(shop):
    # given
    upgrade = window("shop")
    # when
    shop.create_maintenance(upgrade)
    # then
    assert shop.system_snapshot("shop").maintenances == [upgrade]
    with pytest.raises(ConflictError):
        shop.create_maintenance(upgrade)
    with pytest.raises(NotFoundError):
        shop.create_maintenance(window("nope"))
    shop.delete_maintenance("shop", "m1")
    with pytest.raises(NotFoundError):
        shop.delete_maintenance("shop", "m1")
    assert shop.system_snapshot("shop").maintenances == []
