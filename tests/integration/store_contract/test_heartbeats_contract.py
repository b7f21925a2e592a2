"""The heartbeat port's contract (ping tokens, deadlines, the deadline index), on DynamoDB and in memory."""

import pytest

from shared.domain.catalog_items import SystemItem
from shared.domain.errors import NotFoundError
from shared.domain.heartbeat_items import PingTargetItem
from shared.domain.system_state import initial_state
from tests.fakes.seed import configuration_item
from tests.integration.store_contract.conftest import NOW, SETTINGS

DEADLINE, NEXT = 1_900_000_060, 1_900_000_120


def test_a_new_ping_token_replaces_the_previous_one_of_an_assigned_check(shop):
    # given
    with pytest.raises(NotFoundError):
        shop.replace_ping_token("shop", "web", "early", previous_hash=None)
    shop.put_assignment("shop", "web", SETTINGS, expected_version=None, now=NOW, now_epoch=0)
    shop.replace_ping_token("shop", "web", "old", previous_hash=None)
    # when
    shop.replace_ping_token("shop", "web", "new", previous_hash="old")
    # then
    assert shop.ping_target("old") is None
    assert shop.ping_target("new") == PingTargetItem(system_id="shop", configuration_id="web")
    assert shop.get_heartbeat("shop", "web").token_hash == "new"


def test_a_missed_deadline_moves_on_only_if_no_ping_moved_it_meanwhile(shop):
    # given
    shop.save_heartbeat("shop", "web", deadline=DEADLINE, started_at=DEADLINE - 30, last_ping=DEADLINE - 60)
    # when / then
    assert shop.move_missed_deadline("shop", "web", missed=DEADLINE - 1, deadline=NEXT) is False
    assert shop.move_missed_deadline("shop", "web", missed=DEADLINE, deadline=NEXT) is True
    heartbeat = shop.get_heartbeat("shop", "web")
    assert (heartbeat.deadline, heartbeat.started_at) == (NEXT, None)
    assert shop.move_missed_deadline("nope", "web", missed=DEADLINE, deadline=NEXT) is False


def test_pings_of_a_token_are_counted_per_window_up_to_the_limit(store):
    # when
    taken = [store.take_ping_slot("hash", "2030-01-01T00:00", limit=2, expires_at=0) for _ in range(3)]
    # then
    assert taken == [True, True, False]


def test_a_deadline_is_scheduled_only_for_an_assignment_the_scheduler_runs(shop):
    # given one assignment run by the scheduler, one disabled
    shop.create_configuration(configuration_item("off"))
    shop.put_assignment("shop", "web", SETTINGS, expected_version=None, now=NOW, now_epoch=0)
    disabled = SETTINGS | {"enabled": False}
    shop.put_assignment("shop", "off", disabled, expected_version=None, now=NOW, now_epoch=0)
    # when
    for configuration_id in ("web", "nope", "off"):
        shop.schedule_deadline("shop", configuration_id, deadline=DEADLINE)
    # then only the first is in the deadline index
    pairs = [("shop", "web"), ("shop", "nope"), ("shop", "off")]
    found = {a.configuration_id: a for a in shop.get_assignments(pairs)}
    assert found["web"].next_due_at == DEADLINE and found["off"].next_due_at is None
    due = [pair for shard in shop.due_shards(64) for pair in shop.due_deadline_keys(shard, DEADLINE + 1)]
    assert due == [("shop", "web")]


def test_a_heartbeat_and_its_token_go_with_its_assignment_configuration_or_system(shop):
    # given three pinged heartbeats of "web"
    shop.create_system(
        SystemItem(id="cart", name="Cart", created_at=NOW, updated_at=NOW, version=1),
        initial_state("cart", NOW),
    )
    shop.create_configuration(configuration_item("api"))
    for system_id, configuration_id in (("shop", "web"), ("cart", "web"), ("shop", "api")):
        shop.put_assignment(
            system_id, configuration_id, SETTINGS, expected_version=None, now=NOW, now_epoch=0
        )
        token = f"{system_id}-{configuration_id}"
        shop.replace_ping_token(system_id, configuration_id, token, previous_hash=None)
        shop.save_heartbeat(system_id, configuration_id, deadline=DEADLINE, started_at=None, last_ping=0)
    # when
    shop.delete_assignment("shop", "web", deleted_at=NOW)
    shop.delete_configuration("api", deleted_at=NOW)
    shop.delete_system("cart", deleted_at=NOW)
    # then
    for system_id, configuration_id in (("shop", "web"), ("cart", "web"), ("shop", "api")):
        assert shop.ping_target(f"{system_id}-{configuration_id}") is None
        assert shop.get_heartbeat(system_id, configuration_id) is None
