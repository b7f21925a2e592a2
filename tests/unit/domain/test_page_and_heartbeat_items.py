"""Status pages and heartbeats as stored: the table's attribute names, older items, the ping token's hash."""

from shared.domain.heartbeat_items import HeartbeatItem, PingTargetItem
from shared.domain.status_page_items import StatusPageItem

# As services/status_pages.py wrote it before typed items: the request's wire form and its stamps.
OLD_PAGE = {
    "slug": "shop",
    "title": "Shop",
    "systems": [
        {"systemId": "web", "group": "Front", "label": None},
        {"systemId": "db", "group": None, "label": "DB"},
    ],
    "public": False,
    "show": {"checks": True, "availability": True, "latency": False, "maintenance": True, "incidents": True},
    "createdAt": "2030-01-01T00:00:00.000Z",
    "updatedAt": "2030-01-02T00:00:00.000Z",
    "version": 4,
}


def test_a_status_page_written_before_typing_loads_and_writes_back_the_same_attributes():
    # when
    page = StatusPageItem.model_validate(OLD_PAGE)
    # then
    assert ([s.system_id for s in page.systems], page.show.latency, page.version) == (["web", "db"], False, 4)
    assert page.to_item() == OLD_PAGE


def test_only_a_public_page_makes_its_systems_public():
    # given
    private = StatusPageItem.model_validate(OLD_PAGE)
    # then
    assert private.public_systems() == set()
    assert private.model_copy(update={"public": True}).public_systems() == {"web", "db"}


def test_a_heartbeat_loads_with_any_of_its_attributes_absent_and_never_shows_its_token_hash():
    # when
    token_only = HeartbeatItem.model_validate({"tokenHash": "secret-hash"})
    pinged = HeartbeatItem.model_validate(
        {"tokenHash": "h", "deadline": 1_900_000_060, "lastPingAt": 1_900_000_000}
    )
    # then
    assert (token_only.token_hash, token_only.deadline, token_only.started_at) == ("secret-hash", None, None)
    assert (pinged.deadline, pinged.last_ping_at, pinged.started_at) == (1_900_000_060, 1_900_000_000, None)
    assert "secret-hash" not in repr(token_only) + str(token_only)


def test_a_ping_target_keeps_the_tables_attribute_names():
    # then
    target = PingTargetItem(system_id="shop", configuration_id="web")
    assert target.to_item() == {"systemId": "shop", "configurationId": "web"}
