"""The history reads' contract (runs and system transitions): the DynamoDB repository (on moto) and
the in-memory fake of tests/fakes page and bound them alike."""

from shared.domain.history_items import RunItem, TransitionItem
from shared.domain.records import RunCommit
from shared.domain.state_items import CheckStateItem
from tests.integration.store_contract.conftest import SETTINGS, state

T1, T2, T3 = "2030-01-01T01:00:00.000Z", "2030-01-01T02:00:00.000Z", "2030-01-01T03:00:00.000Z"


def transition(at: str, previous: str, new: str) -> TransitionItem:
    return TransitionItem(system_id="shop", previous_status=previous, new_status=new, at=at)


def run_item(run_id: str, timestamp: str, status: str = "healthy") -> RunItem:
    return RunItem(
        run_id=run_id, system_id="shop", configuration_id="web", status=status, timestamp=timestamp
    )


def three_transitions(shop) -> None:
    """Healthy at T1, degraded at T2 (each stored with its state), healthy again at T3 (with a batch)."""
    shop.store_state("shop", state(2), expected_version=1, transition=transition(T1, "unknown", "healthy"))
    shop.store_state("shop", state(3), expected_version=2, transition=transition(T2, "healthy", "degraded"))
    shop.commit_run_batch(
        "shop",
        runs=[run_item("run-3", T3)],
        aggregates=[],
        check_states=[],
        state=state(4),
        expected_state_version=3,
        transitions=[(transition(T3, "degraded", "healthy"), 4)],
        outbox=None,
    )


def test_system_transitions_are_paged_newest_first_or_oldest_first_within_the_range(shop):
    # given
    three_transitions(shop)
    # when
    first = shop.list_transitions("shop", start="2030", end="2031", limit=2, cursor=None)
    rest = shop.list_transitions("shop", start="2030", end="2031", limit=2, cursor=first.next_cursor)
    oldest_first = shop.list_transitions(
        "shop", start="2030", end="2031", limit=10, cursor=None, newest_first=False
    )
    bounded = shop.list_transitions("shop", start=T1[:14], end=T2, limit=10, cursor=None)
    # then
    assert [(t.at, t.new_status) for t in first.items] == [(T3, "healthy"), (T2, "degraded")]
    assert ([t.at for t in rest.items], rest.next_cursor) == ([T1], None)
    assert [t.at for t in oldest_first.items] == [T1, T2, T3]
    assert oldest_first.next_cursor is None
    assert [t.at for t in bounded.items] == [T2, T1]
    assert shop.list_transitions("shop", start="2031", end="2032", limit=10, cursor=None).items == []


def test_the_last_system_transition_before_a_moment_is_strictly_before_it(shop):
    # given
    three_transitions(shop)
    # then
    before_t2 = shop.last_transition_before("shop", T2)
    assert (before_t2.at, before_t2.previous_status, before_t2.new_status) == (T1, "unknown", "healthy")
    assert shop.last_transition_before("shop", T1) is None
    assert shop.last_transition_before("shop", "2031").at == T3
    assert shop.last_transition_before("cart", "2031") is None


def test_runs_are_paged_newest_first_and_filtered_by_status(shop):
    # given three runs of one check
    shop.put_assignment("shop", "web", SETTINGS, expected_version=None, now=T1, now_epoch=0)
    statuses = {T1: "healthy", T2: "unhealthy", T3: "healthy"}
    for n, (at, status) in enumerate(statuses.items()):
        shop.commit_run(
            RunCommit(
                run=run_item(f"run-{n}", at, status),
                check_state=CheckStateItem(system_id="shop", configuration_id="web", version=n + 1),
                expected_check_version=n or None,
            )
        )
    query = {"start": "2030", "end": "2031", "source": None}
    # when
    first = shop.list_runs("shop", "web", **query, status=None, limit=2, cursor=None)
    rest = shop.list_runs("shop", "web", **query, status=None, limit=2, cursor=first.next_cursor)
    failing = shop.list_runs("shop", "web", **query, status="unhealthy", limit=10, cursor=None)
    # then
    assert [r.timestamp for r in first.items] == [T3, T2]
    assert ([r.timestamp for r in rest.items], rest.next_cursor) == ([T1], None)
    assert [(r.run_id, r.status) for r in failing.items] == [("run-1", "unhealthy")]
