"""The recording and outbox ports' contract: the DynamoDB repository (on moto) and the in-memory fake
of tests/fakes behave alike, so service rules tested on the fake hold in AWS."""

import pytest

from shared.domain.catalog_items import SystemItem
from shared.domain.errors import ConflictError, NotFoundError
from shared.domain.records import DuplicateRunError, OutboxEntry, RunCommit, StateVersionConflict
from tests.integration.store_contract.conftest import NOW, SETTINGS, state


def entry(entry_id: str, held_until: str = "2030-01-01T00:05:00.000Z", owner: str = "api") -> OutboxEntry:
    events = [{"detailType": "Health Check Assignment Changed", "detail": {"systemId": "shop"}}]
    return OutboxEntry("shop", entry_id, owner, events, held_until, expires_at=1_900_000_000)


def run_commit(run_id: str, expected_version: int | None, outbox: OutboxEntry | None = None) -> RunCommit:
    run = {
        "runId": run_id,
        "systemId": "shop",
        "configurationId": "web",
        "timestamp": NOW,
        "status": "healthy",
    }
    return RunCommit(
        run=run,
        marker={"runId": run_id, "systemId": "shop", "configurationId": "web"},
        state=state((expected_version or 0) + 1),
        expected_state_version=expected_version,
        outbox=outbox,
    )


def test_a_taken_system_id_is_a_conflict(shop):
    with pytest.raises(ConflictError):
        shop.create_system(
            SystemItem(id="shop", name="Again", created_at=NOW, updated_at=NOW, version=1), state(1)
        )


def test_an_assignment_needs_its_system_and_is_seen_in_the_snapshot(shop):
    # given / when
    with pytest.raises(NotFoundError):
        shop.put_assignment("nope", "web", SETTINGS, expected_version=None, now=NOW, now_epoch=0)
    assignment, created = shop.put_assignment(
        "shop", "web", SETTINGS, expected_version=None, now=NOW, now_epoch=0
    )
    # then
    assert created is True
    assert assignment["version"] == 1
    snapshot = shop.system_snapshot("shop")
    assert [a["configurationId"] for a in snapshot["assignments"]] == ["web"]
    assert snapshot["state"]["version"] == 1
    assert snapshot["outbox"] == []


def test_a_run_commits_its_state_and_outbox_entry_once(shop):
    # given
    committed = entry("run-1", owner="run-1")
    # when
    shop.commit_run(run_commit("run-1", 1, committed))
    # then
    assert shop.get_state("shop")["version"] == 2
    assert shop.known_run_ids(["run-1", "run-2"]) == {"run-1"}
    assert shop.system_snapshot("shop")["outbox"] == [committed]
    with pytest.raises(DuplicateRunError):
        shop.commit_run(run_commit("run-1", 2))


def test_a_run_on_a_stale_state_version_writes_nothing(shop):
    # when
    with pytest.raises(StateVersionConflict):
        shop.commit_run(run_commit("run-1", 7, entry("run-1")))
    # then
    assert shop.known_run_ids(["run-1"]) == set()
    assert shop.get_state("shop")["version"] == 1
    assert shop.outbox_of("shop") == []


def test_a_state_written_as_new_over_an_existing_one_conflicts(shop):
    with pytest.raises(StateVersionConflict):
        shop.store_state("shop", state(5), expected_version=None)
    shop.store_state("shop", state(2), expected_version=1)
    assert shop.get_state("shop")["version"] == 2


def test_outbox_entries_are_held_earlier_never_later_and_never_brought_back(shop):
    # given
    first, second = entry("a", held_until="2030-01-01T00:05:00.000Z"), entry("b")
    shop.put_outbox([first, second])
    # when
    shop.hold_outbox([first], until="2030-01-01T00:00:18.000Z")
    shop.hold_outbox([first], until="2030-01-01T00:01:00.000Z")
    shop.delete_outbox([second])
    shop.hold_outbox([second], until="2030-01-01T00:00:18.000Z")
    # then
    assert [(e.entry_id, e.held_until) for e in shop.outbox_of("shop")] == [("a", "2030-01-01T00:00:18.000Z")]


def check_transition(at: str, status: str) -> dict:
    return {
        "systemId": "shop",
        "configurationId": "web",
        "previousStatus": "unknown",
        "newStatus": status,
        "at": at,
    }


def test_check_transitions_are_listed_by_run_time_within_the_range(shop):
    # given: committed out of order, as a late satellite batch does
    commit = run_commit("run-1", 1)
    commit.check_transitions = [check_transition("2030-01-01T05:00:00.000Z", "healthy")]
    shop.commit_run(commit)
    shop.store_state(
        "shop",
        state(3),
        expected_version=2,
        check_transitions=[check_transition("2030-01-01T02:00:00.000Z", "unhealthy")],
    )
    # when
    listed = shop.list_check_transitions(
        "shop", "web", start="2030-01-01T02:00:00.000Z", end="2030-01-01T05:00:00.000Z"
    )
    before = shop.last_check_transition_before("shop", "web", "2030-01-01T05:00:00.001Z")
    # then
    assert [t["newStatus"] for t in listed] == ["unhealthy"]
    assert before["newStatus"] == "healthy"
    assert shop.last_check_transition_before("shop", "web", "2030-01-01T02:00:00.000Z") is None


def test_a_day_summary_is_stored_only_on_the_version_it_was_computed_from(shop):
    # given
    summary = {"day": "2030-01-01", "digest": "d", "dirty": False, "system": {}, "checks": {}}
    assert shop.put_availability_day("shop", "2030-01-01", summary, expected_version=None) is True
    assert shop.put_availability_day("shop", "2030-01-01", summary, expected_version=None) is False
    # when: a late transition of that day marks it stale
    shop.store_state("shop", state(2), expected_version=1, stale_days=["2030-01-01"])
    marked = shop.get_availability_days("shop", ["2030-01-01", "2030-01-02"])
    # then
    assert list(marked) == ["2030-01-01"]
    assert marked["2030-01-01"]["dirty"] is True
    assert shop.put_availability_day("shop", "2030-01-01", summary, expected_version=0) is False
    assert shop.put_availability_day("shop", "2030-01-01", summary, expected_version=1) is True
    assert shop.get_availability_days("shop", ["2030-01-01"])["2030-01-01"]["dirty"] is False


def test_a_committed_run_is_listed_with_its_aggregates(shop):
    # given
    from datetime import datetime

    from shared.domain.records import run_aggregates

    shop.put_assignment("shop", "web", SETTINGS, expected_version=None, now=NOW, now_epoch=0)
    commit = run_commit("run-1", 1)
    commit.run |= {"sourceId": "local", "latencyMs": 12}
    commit.aggregates = run_aggregates(
        datetime.fromisoformat("2030-01-01T00:00:00+00:00"), "local", "healthy", 12, SETTINGS["retention"]
    )
    # when
    shop.commit_run(commit)
    # then
    runs = shop.list_runs(
        "shop", "web", start="2029", end=NOW, source="local", status=None, limit=10, cursor=None
    )
    assert [r["runId"] for r in runs.items] == ["run-1"]
    (hourly,) = shop.list_aggregates("hourly", "shop", "web", start="2029", end="2031", source=None)
    assert (hourly["start"], hourly["runCount"], hourly["healthyCount"]) == ("2030-01-01T00:00:00Z", 1, 1)
    assert shop.get_assignment("shop", "web")["storedRetention"] == SETTINGS["retention"]
