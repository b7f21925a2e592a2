"""The scheduler's store port (shards of the assignments it runs, their checkpoints, heartbeat
deadlines) on DynamoDB (the ByShard and ByNextDue indexes of template.yaml) and in memory."""

from shared.data import keys
from shared.domain.catalog_items import SystemItem
from shared.domain.credential_items import SatelliteItem
from shared.domain.system_state import initial_state
from tests.fakes.seed import configuration_item
from tests.integration.store_contract.conftest import NOW, SETTINGS

CREATED, LATER = 1_900_000_000, 1_900_000_500


def _configuration(store, configuration_id: str, strategy_id: str = "http", interval: int = 60) -> None:
    store.create_configuration(
        configuration_item(configuration_id, strategy_id=strategy_id, interval_seconds=interval)
    )


def _assign(store, configuration_id: str, now_epoch: int = CREATED, **settings) -> None:
    store.put_assignment(
        "shop",
        configuration_id,
        SETTINGS | settings,
        expected_version=None,
        now=NOW,
        now_epoch=now_epoch,
    )


def _scheduled(store) -> dict[str, dict]:
    """Every scheduled check by configuration id, with its shard."""
    return {
        check["configurationId"]: check | {"shard": shard}
        for shard in store.due_shards(64)
        for check in store.scheduled_checks(shard)
    }


def test_an_assignment_to_run_is_placed_in_its_shard_with_what_planning_needs(shop):
    # when
    _assign(shop, "web")
    # then
    shard = keys.due_shard("shop", "web")
    assert shop.scheduled_checks(shard) == [
        {
            "systemId": "shop",
            "configurationId": "web",
            "intervalSeconds": 60,
            "strategyId": "http",
            "scheduledSince": CREATED,
        }
    ]
    assert shop.shard_has_checks(shard) is True
    assert [s for s in shop.due_shards(64) if shop.shard_has_checks(s)] == [shard]
    assert "dueShard" not in shop.get_assignment("shop", "web").to_item()


def test_assignments_not_to_run_are_in_no_shard(shop):
    # given
    for configuration_id in ("off", "remote", "paused"):
        _configuration(shop, configuration_id)
    shop.create_satellite(SatelliteItem(id="eu", name="EU", created_at=NOW, token_salt="s", token_hash="h"))
    # when
    _assign(shop, "off", enabled=False)
    _assign(shop, "remote", includeLocal=False, satelliteIds=["eu"])
    _assign(shop, "paused")
    shop.update_configuration("paused", {"paused": True}, expected_version=None, now=NOW, now_epoch=LATER)
    # then
    assert _scheduled(shop) == {}


def test_a_schedule_restarts_only_when_it_starts_being_run_or_its_interval_changes(shop):
    # given an assignment created at CREATED
    _assign(shop, "web")
    # when its settings and its check's name change, then it keeps its schedule
    shop.put_assignment(
        "shop", "web", SETTINGS | {"quorum": {"mode": "all"}}, expected_version=None, now=NOW, now_epoch=LATER
    )
    shop.update_configuration("web", {"name": "Renamed"}, expected_version=None, now=NOW, now_epoch=LATER)
    assert _scheduled(shop)["web"]["scheduledSince"] == CREATED
    # when paused then resumed later, then it restarts from the resume
    shop.update_configuration("web", {"paused": True}, expected_version=None, now=NOW, now_epoch=LATER)
    assert _scheduled(shop) == {}
    shop.update_configuration("web", {"paused": False}, expected_version=None, now=NOW, now_epoch=LATER + 1)
    assert _scheduled(shop)["web"]["scheduledSince"] == LATER + 1
    # when its interval changes, then it restarts with the new interval, in the same shard
    shop.update_configuration(
        "web", {"intervalSeconds": 30}, expected_version=None, now=NOW, now_epoch=LATER + 2
    )
    check = _scheduled(shop)["web"]
    assert (check["intervalSeconds"], check["scheduledSince"]) == (30, LATER + 2)
    assert check["shard"] == keys.due_shard("shop", "web")


def test_a_shard_is_chosen_with_the_shard_count_of_the_day_and_kept_for_life(shop):
    # given an assignment placed when there were 128 shards
    shop.put_assignment(
        "shop", "web", SETTINGS, expected_version=None, now=NOW, now_epoch=CREATED, due_shards=128
    )
    placed = keys.due_shard("shop", "web", 128)
    # when it is written again with another count
    shop.put_assignment(
        "shop", "web", SETTINGS | {"enabled": True}, expected_version=None, now=NOW, now_epoch=LATER
    )
    # then it stays where it was
    assert [c["configurationId"] for c in shop.scheduled_checks(placed)] == ["web"]


def test_deleting_an_assignment_its_configuration_or_its_system_takes_it_out_of_its_shard(shop):
    # given three scheduled assignments of two systems
    _configuration(shop, "api")
    shop.create_system(
        SystemItem(id="cart", name="Cart", created_at=NOW, updated_at=NOW, version=1),
        initial_state("cart", NOW),
    )
    _assign(shop, "web")
    _assign(shop, "api")
    shop.put_assignment("cart", "web", SETTINGS, expected_version=None, now=NOW, now_epoch=CREATED)
    # when
    shop.delete_assignment("shop", "api", deleted_at=NOW)
    shop.delete_system("cart", deleted_at=NOW)
    remaining = _scheduled(shop)
    shop.delete_configuration("web", deleted_at=NOW)
    # then
    assert list(remaining) == ["web"] and remaining["web"]["systemId"] == "shop"
    assert _scheduled(shop) == {}


def test_a_checkpoint_moves_only_from_the_value_read(store):
    # given no checkpoint yet
    assert store.schedule_checkpoint("DUE#7") is None
    # when / then
    assert store.advance_checkpoint("DUE#7", seen=None, planned_through=CREATED) is True
    assert store.advance_checkpoint("DUE#7", seen=None, planned_through=LATER) is False
    assert store.advance_checkpoint("DUE#7", seen=CREATED - 60, planned_through=LATER) is False
    assert store.advance_checkpoint("DUE#7", seen=CREATED, planned_through=LATER) is True
    assert (store.schedule_checkpoint("DUE#7"), store.schedule_checkpoint("DUE#8")) == (LATER, None)


def test_a_heartbeat_is_looked_at_when_it_starts_and_its_deadline_moves_by_compare_and_set(shop):
    # given a heartbeat check assigned at CREATED, and an http check
    _configuration(shop, "nightly", strategy_id="heartbeat")
    _assign(shop, "nightly")
    _assign(shop, "web")
    shard = keys.due_shard("shop", "nightly")
    # then only the heartbeat is in the deadline index, due at once
    assert shop.due_deadline_keys(shard, CREATED + 1) == [("shop", "nightly")]
    assert shop.due_deadline_keys(shard, CREATED) == []
    assert shop.due_deadline_keys(keys.due_shard("shop", "web"), LATER) == []
    # when its deadline is moved on from a stale and from the current value
    assert shop.advance_deadline("shop", "nightly", seen_due=CREATED - 1, next_due=LATER) is False
    assert shop.advance_deadline("shop", "nightly", seen_due=CREATED, next_due=LATER) is True
    # then
    (assignment,) = shop.get_assignments([("shop", "nightly")])
    assert assignment.next_due_at == LATER


def test_clearing_a_deadline_leaves_the_shard_unless_the_assignment_is_not_to_run(shop):
    # given two heartbeats in the deadline index
    for configuration_id in ("nightly", "hourly"):
        _configuration(shop, configuration_id, strategy_id="heartbeat")
        _assign(shop, configuration_id)
    # when one leaves the deadline index only, and the other both (a stale clear changes nothing)
    shop.clear_deadline("shop", "nightly", seen_due=CREATED, unschedule=False)
    shop.clear_deadline("shop", "hourly", seen_due=CREATED - 1, unschedule=True)
    shop.clear_deadline("shop", "hourly", seen_due=CREATED, unschedule=True)
    # then
    assert list(_scheduled(shop)) == ["nightly"]
    assert [pair for s in shop.due_shards(64) for pair in shop.due_deadline_keys(s, LATER)] == []
