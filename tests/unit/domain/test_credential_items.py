"""API keys and satellites as stored: the table's attribute names, older items, secrets kept out of reprs."""

from datetime import UTC, datetime

from shared.domain.credential_items import ApiKeyItem, SatelliteItem

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)

# As the code before typed items wrote them (services/access.py), keys stripped.
OLD_API_KEY = {
    "id": "a" * 32,
    "name": "ci",
    "role": "service",
    "createdAt": "2029-12-01T00:00:00.000Z",
    "tokenSalt": "salt-a",
    "tokenHash": "hash-a",
}
OLD_SATELLITE = {
    "id": "eu-1",
    "name": "EU",
    "region": "eu-west-1",
    "heartbeatIntervalSeconds": 60,
    "createdAt": "2029-12-01T00:00:00.000Z",
    "version": 3,
    "tokenSalt": "salt-s",
    "tokenHash": "hash-s",
    "updatedAt": "2029-12-02T00:00:00.000Z",
    "lastSeenAt": "2030-01-01T11:58:00.000Z",
    "offlineHandled": True,
}


def test_items_written_before_typing_load_and_write_back_the_same_attributes():
    # when
    api_key = ApiKeyItem.model_validate(OLD_API_KEY)
    satellite = SatelliteItem.model_validate(OLD_SATELLITE)
    # then
    assert (api_key.role, api_key.token_hash) == ("service", "hash-a")
    assert (satellite.version, satellite.last_seen_at, satellite.offline_handled) == (
        3,
        "2030-01-01T11:58:00.000Z",
        True,
    )
    assert api_key.to_item() == OLD_API_KEY
    assert satellite.to_item() == OLD_SATELLITE


def test_a_new_satellite_stores_no_liveness_attributes_until_it_is_heard_from():
    # given
    satellite = SatelliteItem(
        id="eu-1", name="EU", created_at="2030-01-01T00:00:00.000Z", token_salt="s", token_hash="h"
    )
    # when
    stored = satellite.to_item()
    # then the store's conditions on lastSeenAt and offlineHandled see them absent
    assert not {"lastSeenAt", "offlineHandled", "updatedAt"} & stored.keys()
    assert (stored["region"], stored["heartbeatIntervalSeconds"], stored["version"]) == ("", 30, 1)


def test_no_repr_of_a_credential_item_shows_its_salt_or_hash():
    # when
    shown = repr(ApiKeyItem.model_validate(OLD_API_KEY)) + str(SatelliteItem.model_validate(OLD_SATELLITE))
    # then
    assert "hash-" not in shown and "salt-" not in shown


def test_a_satellite_is_offline_after_three_silent_intervals_or_if_never_heard_from():
    # given
    satellite = SatelliteItem.model_validate(OLD_SATELLITE)
    # then (last seen 11:58, every 60 s: offline after 12:01)
    assert satellite.offline_at(NOW) is False
    assert satellite.offline_at(datetime(2030, 1, 1, 12, 1, 1, tzinfo=UTC)) is True
    assert satellite.model_copy(update={"last_seen_at": None}).offline_at(NOW) is True
