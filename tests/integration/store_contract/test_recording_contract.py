"""The recording and outbox ports' contract: the DynamoDB repository (on moto) and the in-memory fake
of tests/fakes behave alike, so service rules tested on the fake hold in AWS."""

import pytest

from shared.domain.catalog_items import SystemItem
from shared.domain.errors import ConflictError, NotFoundError
from shared.domain.history_items import CheckTransitionItem, RunItem, TransitionItem
from shared.domain.records import DuplicateRunError, OutboxEntry, RunCommit, StateVersionConflict
from shared.domain.snapshots import RunKey
from shared.domain.state_items import CheckStateItem
from tests.integration.store_contract.conftest import NOW, SETTINGS, state


def check_state(version: int) -> CheckStateItem:
    slices = {"local": {"sourceId": "local", "sourceLabel": "Local", "status": "healthy", "recent": "h"}}
    return CheckStateItem.model_validate(
        {"systemId": "shop", "configurationId": "web", "version": version, "slices": slices}
    )


def entry(entry_id: str, held_until: str = "2030-01-01T00:05:00.000Z", owner: str = "api") -> OutboxEntry:
    events = [{"detailType": "Health Check Assignment Changed", "detail": {"systemId": "shop"}}]
    return OutboxEntry("shop", entry_id, owner, events, held_until, expires_at=1_900_000_000)


def run_item(run_id: str) -> RunItem:
    return RunItem(run_id=run_id, system_id="shop", configuration_id="web", status="healthy", timestamp=NOW)


def run_commit(run_id: str, expected_version: int | None, outbox: OutboxEntry | None = None) -> RunCommit:
    run = run_item(run_id)
    return RunCommit(
        run=run,
        check_state=check_state((expected_version or 0) + 1),
        expected_check_version=expected_version,
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
    assert assignment.version == 1
    snapshot = shop.system_snapshot("shop")
    assert snapshot.assignments == [assignment]
    assert snapshot.state.version == 1
    assert snapshot.outbox == []


def test_a_run_commits_its_check_state_and_outbox_entry_once_and_leaves_the_system_state(shop):
    # given
    shop.put_assignment("shop", "web", SETTINGS, expected_version=None, now=NOW, now_epoch=0)
    committed = entry("run-1", owner="run-1")
    # when
    shop.commit_run(run_commit("run-1", None, committed))
    # then
    assert shop.get_state("shop").version == 1
    assert shop.known_run_ids([run_item("run-1"), run_item("run-2")]) == {"run-1"}
    snapshot = shop.system_snapshot("shop")
    assert snapshot.outbox == [committed]
    assert snapshot.check_states == {"web": check_state(1)}
    context = shop.run_context("shop", "web")
    assert (context.system.id, context.assignment.configuration_id) == ("shop", "web")
    assert (context.check_state, context.outbox) == (check_state(1), [committed])
    with pytest.raises(DuplicateRunError):
        shop.commit_run(run_commit("run-1", 1))


def test_a_run_on_a_stale_check_state_version_writes_nothing(shop):
    # given
    shop.commit_run(run_commit("run-0", None))
    # when
    with pytest.raises(StateVersionConflict):
        shop.commit_run(run_commit("run-1", 7, entry("run-1")))
    with pytest.raises(StateVersionConflict):
        shop.commit_run(run_commit("run-2", None, entry("run-2")))
    # then
    assert shop.known_run_ids([run_item("run-1"), run_item("run-2")]) == set()
    assert shop.run_context("shop", "web").check_state.version == 1
    assert shop.outbox_of("shop") == []


def test_a_state_stored_with_its_transition_event_commits_both_or_neither(shop):
    # given
    held = entry("run-1#view#2", owner="run-1")
    transition = TransitionItem(system_id="shop", previous_status="unknown", new_status="healthy", at=NOW)
    # when
    with pytest.raises(StateVersionConflict):
        shop.store_state("shop", state(2), expected_version=5, transition=transition, outbox=held)
    assert shop.outbox_of("shop") == []
    shop.store_state("shop", state(2), expected_version=1, transition=transition, outbox=held)
    # then
    assert shop.get_state("shop").version == 2
    assert shop.outbox_of("shop") == [held]


def test_a_state_written_as_new_over_an_existing_one_conflicts(shop):
    with pytest.raises(StateVersionConflict):
        shop.store_state("shop", state(5), expected_version=None)
    shop.store_state("shop", state(2), expected_version=1)
    assert shop.get_state("shop").version == 2


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


def check_transition(at: str, status: str, check_version: int) -> CheckTransitionItem:
    return CheckTransitionItem(
        system_id="shop",
        configuration_id="web",
        previous_status="unknown",
        new_status=status,
        at=at,
        check_version=check_version,
    )


def test_check_transitions_are_listed_by_run_time_within_the_range(shop):
    # given: committed out of order, as a late satellite batch does
    commit = run_commit("run-1", None)
    commit.check_transitions = [check_transition("2030-01-01T05:00:00.000Z", "healthy", 1)]
    shop.commit_run(commit)
    shop.store_state(
        "shop",
        state(2),
        expected_version=1,
        check_states=[(check_state(2), 1)],
        check_transitions=[check_transition("2030-01-01T02:00:00.000Z", "unhealthy", 2)],
    )
    # when
    listed = shop.list_check_transitions(
        "shop", "web", start="2030-01-01T02:00:00.000Z", end="2030-01-01T05:00:00.000Z"
    )
    before = shop.last_check_transition_before("shop", "web", "2030-01-01T05:00:00.001Z")
    # then
    assert [(t.configuration_id, t.new_status, t.at) for t in listed] == [
        ("web", "unhealthy", "2030-01-01T02:00:00.000Z")
    ]
    assert (before.previous_status, before.new_status) == ("unknown", "healthy")
    assert shop.last_check_transition_before("shop", "web", "2030-01-01T02:00:00.000Z") is None
    assert shop.run_context("shop", "web").check_state == check_state(2)


def test_a_state_stored_over_a_moved_check_item_writes_nothing(shop):
    # given: the check item moved on (a run of that check) since the state was computed
    shop.commit_run(run_commit("run-1", None))
    shop.commit_run(run_commit("run-2", 1))
    # when
    with pytest.raises(StateVersionConflict):
        shop.store_state(
            "shop",
            state(2),
            expected_version=1,
            check_states=[(check_state(2), 1)],
            check_transitions=[check_transition("2030-01-01T02:00:00.000Z", "unknown", 2)],
        )
    # then
    assert shop.get_state("shop").version == 1
    assert shop.list_check_transitions("shop", "web", start=NOW, end="2030-01-02T00:00:00.000Z") == []


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
    commit = run_commit("run-1", None)
    commit.run = commit.run.model_copy(update={"source_id": "local", "latency_ms": 12})
    commit.aggregates = run_aggregates(
        datetime.fromisoformat("2030-01-01T00:00:00+00:00"), "local", "healthy", 12, SETTINGS["retention"]
    )
    # when
    shop.commit_run(commit)
    # then
    runs = shop.list_runs(
        "shop", "web", start="2029", end=NOW, source="local", status=None, limit=10, cursor=None
    )
    assert [(r.run_id, r.source_id, r.latency_ms, r.status) for r in runs.items] == [
        ("run-1", "local", 12, "healthy")
    ]
    (hourly,) = shop.list_aggregates("hourly", "shop", "web", start="2029", end="2031", source=None)
    assert (hourly.start, hourly.run_count, hourly.healthy_count) == ("2030-01-01T00:00:00Z", 1, 1)
    assert (hourly.latency_count, hourly.latency_sum_ms, sum(hourly.bins.values())) == (1, 12, 1)
    assert shop.get_assignment("shop", "web").stored_retention == SETTINGS["retention"]


def test_check_reads_answers_assignments_configurations_states_and_recorded_runs_at_once(shop):
    # given
    shop.put_assignment("shop", "web", SETTINGS, expected_version=None, now=NOW, now_epoch=0)
    shop.commit_run(run_commit("run-1", None))
    later = "2030-01-02T00:00:00.000Z"
    # when
    reads = shop.check_reads(
        [("shop", "web"), ("shop", "gone"), ("nope", "web")],
        runs=[RunKey("shop", "web", NOW, "run-1"), RunKey("shop", "web", NOW, "run-2")],
        for_recording=True,
    )
    # then
    assert reads.assignments == {("shop", "web"): shop.get_assignments([("shop", "web")])[0]}
    assert reads.configurations == shop.get_configurations(["web"])
    assert reads.states == {"shop": shop.get_state("shop")}
    assert reads.known_run_ids == {"run-1"}
    bare = shop.check_reads([("shop", "web")], runs=[RunKey("shop", "web", later, "run-1")])
    assert (bare.states, bare.known_run_ids) == ({}, set())
    assert set(bare.assignments) == {("shop", "web")}
