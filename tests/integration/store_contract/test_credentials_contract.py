"""The credential port's contract (API keys, satellites, rate windows), on DynamoDB and in memory."""

import pytest

from shared.domain.credential_items import ApiKeyItem, SatelliteItem
from shared.domain.errors import ConflictError, NotFoundError
from tests.integration.store_contract.conftest import NOW, SETTINGS

EARLIER, LATER = "2029-12-31T23:59:00.000Z", "2030-01-01T00:01:00.000Z"


def satellite(satellite_id: str) -> SatelliteItem:
    return SatelliteItem(
        id=satellite_id, name=satellite_id, token_salt="s", token_hash="h", created_at=NOW, version=1
    )


def api_key(key_id: str, name: str, role: str) -> ApiKeyItem:
    return ApiKeyItem(id=key_id, name=name, role=role, created_at=NOW, token_salt="s", token_hash="h")


def test_an_api_key_is_created_once_listed_and_deleted_once(store):
    # given
    store.create_api_key(api_key("k1", "ci", "reader"))
    # when / then
    with pytest.raises(ConflictError):
        store.create_api_key(api_key("k1", "again", "manager"))
    assert store.get_api_key("k1").name == "ci"
    assert [k.id for k in store.list_api_keys(limit=10, cursor=None).items] == ["k1"]
    store.delete_api_key("k1")
    assert store.get_api_key("k1") is None
    with pytest.raises(NotFoundError):
        store.delete_api_key("k1")


def test_a_satellites_last_seen_never_moves_backwards(store):
    # given
    store.create_satellite(satellite("eu-1"))
    # when
    store.touch_satellite("eu-1", LATER)
    store.touch_satellite("eu-1", EARLIER)
    store.touch_satellite("ghost", LATER)
    # then
    assert store.get_satellite("eu-1").last_seen_at == LATER
    assert store.get_satellite("ghost") is None


def test_going_offline_is_handled_once_and_only_if_not_heard_from_since(store):
    # given
    store.create_satellite(satellite("eu-1"))
    store.touch_satellite("eu-1", NOW)
    # when / then
    assert store.mark_offline_handled("eu-1", EARLIER) is False
    assert store.mark_offline_handled("eu-1", NOW) is True
    assert store.get_satellite("eu-1").offline_handled is True
    store.touch_satellite("eu-1", LATER)
    assert store.get_satellite("eu-1").offline_handled is False


def test_a_new_secret_replaces_the_old_one_and_moves_the_version(store):
    # given
    store.create_satellite(satellite("eu-1"))
    # when
    replaced = store.replace_satellite_secret("eu-1", salt="s2", secret_hash="h2", now=LATER)
    # then
    assert (replaced.token_hash, replaced.version) == ("h2", 2)
    assert store.get_satellite("eu-1").token_hash == "h2"
    with pytest.raises(NotFoundError):
        store.replace_satellite_secret("ghost", salt="s", secret_hash="h", now=LATER)


def test_a_rate_window_takes_requests_up_to_its_limit(store):
    # when
    taken = [store.take_request_slot("eu-1", "2030-01-01T00:00", limit=2, expires_at=0) for _ in range(3)]
    other = store.take_request_slot("eu-1", "2030-01-01T00:01", limit=2, expires_at=0)
    # then
    assert (taken, other) == ([True, True, False], True)


def test_deleting_a_satellite_takes_it_out_of_its_assignments(shop):
    # given
    shop.create_satellite(satellite("eu-1"))
    shop.put_assignment(
        "shop",
        "web",
        SETTINGS | {"satelliteIds": ["eu-1"], "includeLocal": False},
        expected_version=None,
        now=NOW,
        now_epoch=0,
    )
    assert shop.satellite_links("eu-1") == [("shop", "web")]
    # when
    touched = shop.delete_satellite("eu-1")
    # then
    assignment = shop.get_assignment("shop", "web")
    assert touched == ["shop"]
    assert (assignment.satellite_ids, assignment.enabled, assignment.version) == ([], False, 2)
    assert shop.get_satellites(["eu-1"]) == {}
    with pytest.raises(NotFoundError):
        shop.delete_satellite("eu-1")
