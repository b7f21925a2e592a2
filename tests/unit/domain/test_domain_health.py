import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.assignment_models import ConsecutiveThresholds, WindowThresholds
from shared.domain.health import (
    HISTORY_LIMIT,
    CheckSlices,
    SliceState,
    apply_run,
    build_health_view,
    empty_slice,
    evaluate_check,
    evaluate_system,
    quorum_status,
    severity,
    threshold_verdict,
)
from shared.domain.health_views import SystemHealthView

LETTERS = {"h": "healthy", "d": "degraded", "u": "unhealthy"}
STATUS_LETTER = {"healthy": "H", "degraded": "D", "unhealthy": "U", "unknown": "?"}
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def at(minute: int) -> str:
    return (T0 + timedelta(minutes=minute)).isoformat().replace("+00:00", "Z")


def run_all(runs: str, thresholds, state: SliceState | None = None) -> list[SliceState]:
    """Every state along the way, one per run ('h', 'd', 'u')."""
    states = []
    for minute, letter in enumerate(runs):
        state = apply_run(
            state,
            run_status=LETTERS[letter],
            at=at(minute),
            thresholds=thresholds,
            source_id="local",
            source_label="Local",
        )
        states.append(state)
    return states


def trace(runs: str, thresholds) -> str:
    return "".join(STATUS_LETTER[s.status] for s in run_all(runs, thresholds))


def consecutive(degraded=1, unhealthy=3, recover=1):
    return ConsecutiveThresholds(degraded_after=degraded, unhealthy_after=unhealthy, recover_after=recover)


def window(size=10, degraded=3, unhealthy=5, recover=1):
    return WindowThresholds(
        window_size=size, degraded_after=degraded, unhealthy_after=unhealthy, recover_after=recover
    )


def slice_with(status: str, source_id: str = "local") -> SliceState:
    return SliceState(source_id=source_id, source_label=source_id, status=status)


# --- slices: consecutive mode ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("runs", "thresholds", "expected"),
    [
        ("h", consecutive(), "H"),
        ("u", consecutive(), "D"),
        ("d", consecutive(), "D"),
        ("uuu", consecutive(), "DDU"),
        ("uuuh", consecutive(), "DDUH"),
        ("uudu", consecutive(), "DDUU"),
        ("uhuhuh", consecutive(), "DHDHDH"),
        ("u", consecutive(degraded=2, unhealthy=3), "H"),
        ("uuuu", consecutive(degraded=2, unhealthy=3), "HDUU"),
        ("uuuhh", consecutive(recover=2), "DDUUH"),
        ("uuuhuhh", consecutive(recover=2), "DDUUUUH"),
        ("uhhh", consecutive(recover=3), "DDDH"),
        ("uuuu", consecutive(degraded=4, unhealthy=4), "HHHU"),
        ("uuuuu", consecutive(degraded=1, unhealthy=1), "UUUUU"),
    ],
)
def test_consecutive_mode_follows_the_failing_streak(runs, thresholds, expected):
    # given a slice receiving runs under consecutive thresholds
    # when the runs are applied one by one
    # then the status after each run is as expected
    assert trace(runs, thresholds) == expected


# --- slices: window mode ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("runs", "thresholds", "expected"),
    [
        ("h", window(), "H"),
        ("uu", window(), "HH"),
        ("uhuhu", window(), "HHHHD"),
        ("uhuhuhu", window(size=10, degraded=3, unhealthy=4), "HHHHDDU"),
        ("uuu" + "h" * 8, window(size=10), "HHD" + "DDDDDDD" + "H"),
        ("uuuuu" + "h" * 6, window(size=10), "HHDDU" + "UUUUUD"),
        ("uuuuu" + "h" * 8, window(size=10, recover=3), "HHDDU" + "UUUUUDDH"),
        ("uu" + "h", window(size=2, degraded=1, unhealthy=2), "DUD"),
        ("uu" + "hh", window(size=2, degraded=1, unhealthy=2, recover=2), "DUUH"),
        ("u", window(size=5, degraded=1, unhealthy=2), "D"),
    ],
)
def test_window_mode_counts_failing_runs_in_the_window(runs, thresholds, expected):
    # given a slice receiving runs under window thresholds
    # when the runs are applied one by one
    # then the status after each run is as expected
    assert trace(runs, thresholds) == expected


def test_recovery_from_unhealthy_lands_on_the_window_verdict_not_straight_on_healthy():
    # given an unhealthy slice whose window still holds enough failures to be degraded
    thresholds = window(size=4, degraded=1, unhealthy=3, recover=2)
    states = run_all("uuu", thresholds)
    assert states[-1].status == "unhealthy"

    # when recoverAfter healthy runs arrive
    after = run_all("hh", thresholds, states[-1])

    # then the slice steps down to what the thresholds say now: degraded
    assert [s.status for s in after] == ["unhealthy", "degraded"]


def test_a_healthy_run_after_thresholds_tightened_does_not_escalate():
    # given a healthy slice with a failure in its history
    states = run_all("uhhh", consecutive(degraded=2, unhealthy=3))
    assert states[-1].status == "healthy"

    # when thresholds switch to a window that would count that failure, and a healthy run comes
    after = run_all("h", window(size=5, degraded=1, unhealthy=3), states[-1])

    # then the healthy run does not make the slice look worse
    assert after[-1].status == "healthy"


def test_a_failing_run_after_thresholds_tightened_escalates_with_the_whole_window():
    # given a healthy slice recorded under consecutive thresholds with two spread failures
    states = run_all("uhuhh", consecutive(degraded=2, unhealthy=3))
    assert states[-1].status == "healthy"

    # when the assignment now uses a window and one more failure arrives
    after = run_all("u", window(size=6, degraded=2, unhealthy=3), states[-1])

    # then the history kept under the old thresholds is counted by the new ones
    assert after[-1].status == "unhealthy"


def test_history_is_capped_at_the_largest_window_the_api_accepts():
    # given a slice with many runs
    states = run_all("u" * (HISTORY_LIMIT + 20), consecutive())

    # then only the last HISTORY_LIMIT statuses are kept, while counters keep counting
    assert len(states[-1].recent) == HISTORY_LIMIT
    assert states[-1].consecutive_failing == HISTORY_LIMIT + 20
    assert states[-1].run_count == HISTORY_LIMIT + 20


def test_apply_run_records_time_label_and_counters():
    # given a fresh slice
    # when two runs arrive
    state = run_all("uh", consecutive())[-1]

    # then the slice holds the last run time, both runs and the streaks
    assert state.last_run_at == at(1)
    assert state.run_count == 2
    assert state.recent == ("unhealthy", "healthy")
    assert (state.consecutive_failing, state.consecutive_healthy) == (0, 1)


def test_slice_without_runs_is_unknown():
    assert empty_slice("sat-1", "Sat (eu)").status == "unknown"


def test_slice_round_trips_through_its_storage_item():
    # given a slice with history
    state = run_all("hdduh", window(size=4, degraded=1, unhealthy=3))[-1]

    # when it is stored and read back
    item = state.to_item()

    # then nothing is lost, and the item holds only strings and ints
    assert SliceState.from_item(item) == state
    assert all(isinstance(value, str | int) for value in item.values())
    assert item["recent"] == "hdduh"


def test_slice_reads_back_decimal_counters_as_ints():
    # given an item as DynamoDB returns it (numbers as Decimal)
    item = run_all("uu", consecutive())[-1].to_item()
    item = {k: Decimal(v) if isinstance(v, int) else v for k, v in item.items()}

    # when read
    state = SliceState.from_item(item)

    # then counters are ints again
    assert state.consecutive_failing == 2
    assert isinstance(state.run_count, int)


# --- slices: properties ----------------------------------------------------------------------

run_letters = st.text(alphabet="hdu", max_size=60)


@st.composite
def any_thresholds(draw):
    recover = draw(st.integers(1, 5))
    if draw(st.booleans()):
        degraded = draw(st.integers(1, 6))
        unhealthy = draw(st.integers(degraded, 8))
        return consecutive(degraded, unhealthy, recover)
    size = draw(st.integers(1, 12))
    unhealthy = draw(st.integers(1, size))
    degraded = draw(st.integers(1, unhealthy))
    return window(size, degraded, unhealthy, recover)


@given(history=run_letters, before=any_thresholds(), after=any_thresholds(), run=st.sampled_from("hdu"))
def test_a_failing_run_never_improves_and_a_healthy_run_never_worsens_a_slice(history, before, after, run):
    # given any slice, recorded under any thresholds
    states = run_all(history, before)
    if not states:
        return
    previous = states[-1]

    # when one more run arrives, possibly under other thresholds
    following = run_all(run, after, previous)[-1]

    # then its status moves only in the direction of the run
    if run == "h":
        assert severity(following.status) <= severity(previous.status)
    else:
        assert severity(following.status) >= severity(previous.status)


@given(history=run_letters, thresholds=any_thresholds())
def test_a_slice_returns_to_healthy_only_after_recover_after_healthy_runs_in_a_row(history, thresholds):
    # given any run history
    # when it is applied
    states = run_all(history, thresholds)

    # then every step from a non-healthy status to a less severe one follows a healthy streak
    for previous, current in itertools.pairwise(states):
        if previous.status != "healthy" and severity(current.status) < severity(previous.status):
            assert history[: current.run_count].endswith("h" * thresholds.recover_after)


@given(history=run_letters, thresholds=any_thresholds())
def test_a_slice_is_never_better_than_its_thresholds_say(history, thresholds):
    # given any run history
    for state in run_all(history, thresholds):
        # then the status is at least as severe as what the thresholds alone say
        verdict = threshold_verdict(thresholds, state.recent, state.consecutive_failing)
        assert severity(state.status) >= severity(verdict)


@given(history=st.text(alphabet="h", min_size=1, max_size=30), thresholds=any_thresholds())
def test_a_slice_that_never_failed_is_healthy(history, thresholds):
    assert all(s.status == "healthy" for s in run_all(history, thresholds))


# --- checks: quorum --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statuses", "mode", "expected"),
    [
        (["healthy", "unhealthy", "unhealthy"], "any", "unhealthy"),
        (["healthy", "unhealthy", "unhealthy"], "majority", "unhealthy"),
        (["healthy", "unhealthy", "unhealthy"], "all", "healthy"),
        (["healthy", "degraded", "unhealthy"], "any", "unhealthy"),
        (["healthy", "degraded", "unhealthy"], "majority", "degraded"),
        (["healthy", "degraded", "unhealthy"], "all", "healthy"),
        (["healthy", "healthy", "unhealthy"], "majority", "healthy"),
        (["healthy", "unhealthy"], "majority", "healthy"),
        (["degraded", "unhealthy"], "majority", "degraded"),
        (["unhealthy", "unhealthy", "degraded", "healthy"], "majority", "degraded"),
        (["unhealthy", "unhealthy", "unhealthy", "healthy"], "majority", "unhealthy"),
        (["unhealthy", "unhealthy", "degraded"], "all", "degraded"),
        (["unknown", "unhealthy"], "all", "unhealthy"),
        (["unknown", "unknown"], "any", "unknown"),
        ([], "majority", "unknown"),
    ],
)
def test_quorum_combines_known_source_statuses(statuses, mode, expected):
    # given source slices with these statuses
    slices = [slice_with(status, f"s{i}") for i, status in enumerate(statuses)]

    # when the check is evaluated
    # then the quorum rule picks the expected status
    assert evaluate_check(slices, mode) == expected


def test_an_offline_source_counts_as_unknown():
    # given a satellite reporting unhealthy that has gone offline, and a healthy local slice
    slices = [slice_with("healthy", "local"), slice_with("unhealthy", "sat-1")]

    # when the check is evaluated with that satellite offline
    status = evaluate_check(slices, "any", offline_sources={"sat-1"})

    # then its stale verdict is left out
    assert status == "healthy"
    assert evaluate_check(slices[1:], "any", offline_sources={"sat-1"}) == "unknown"


def test_unknown_quorum_mode_is_refused():
    with pytest.raises(ValueError, match="quorum"):
        quorum_status(["healthy"], "most")


known = st.sampled_from(["healthy", "degraded", "unhealthy"])
any_status = st.sampled_from(["healthy", "degraded", "unhealthy", "unknown"])


@given(statuses=st.lists(any_status, max_size=9))
def test_all_is_never_worse_than_majority_which_is_never_worse_than_any(statuses):
    results = {mode: quorum_status(statuses, mode) for mode in ("any", "majority", "all")}
    if "unknown" in results.values():
        assert set(results.values()) == {"unknown"}
        return
    assert severity(results["all"]) <= severity(results["majority"]) <= severity(results["any"])


@given(status=any_status)
def test_with_one_source_every_quorum_mode_agrees(status):
    assert {quorum_status([status], mode) for mode in ("any", "majority", "all")} == {status}


quorum_modes = st.sampled_from(["any", "majority", "all"])


@given(statuses=st.lists(any_status, max_size=9), data=st.data(), mode=quorum_modes)
def test_quorum_ignores_source_order(statuses, data, mode):
    shuffled = data.draw(st.permutations(statuses))
    assert quorum_status(shuffled, mode) == quorum_status(statuses, mode)


@given(
    statuses=st.lists(known, min_size=1, max_size=9),
    unknowns=st.integers(0, 5),
    mode=st.sampled_from(["any", "majority", "all"]),
)
def test_quorum_ignores_unknown_sources(statuses, unknowns, mode):
    assert quorum_status([*statuses, *["unknown"] * unknowns], mode) == quorum_status(statuses, mode)


@given(statuses=st.lists(known, min_size=1, max_size=9))
def test_majority_fails_exactly_when_more_than_half_of_the_sources_fail(statuses):
    failing = sum(1 for s in statuses if s != "healthy")
    assert (quorum_status(statuses, "majority") != "healthy") == (failing > len(statuses) / 2)


# --- systems ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["healthy", "degraded"], "degraded"),
        (["healthy", "unknown", "unhealthy"], "unhealthy"),
        (["unknown", "healthy"], "healthy"),
        (["unknown"], "unknown"),
        ([], "unknown"),
    ],
)
def test_system_is_the_worst_of_its_checks_with_data(statuses, expected):
    assert evaluate_system(statuses) == expected


@given(statuses=st.lists(any_status, max_size=9))
def test_system_status_is_the_most_severe_known_check(statuses):
    result = evaluate_system(statuses)
    known_statuses = [s for s in statuses if s != "unknown"]
    if not known_statuses:
        assert result == "unknown"
    else:
        assert result in known_statuses
        assert all(severity(s) <= severity(result) for s in known_statuses)


# --- the SystemHealth view -------------------------------------------------------------------


def sample_checks() -> list[CheckSlices]:
    local = run_all("uuu", consecutive())[-1]
    satellite = SliceState(
        source_id="sat-1",
        source_label="Frankfurt (eu-central-1)",
        status="healthy",
        last_run_at="2024-05-01T12:05:00Z",
        run_count=1,
        recent=("healthy",),
        consecutive_healthy=1,
    )
    return [
        CheckSlices("api", "API", "majority", (satellite, local)),
        CheckSlices("db", "Database", "any", (empty_slice("local", "Local"),)),
    ]


def test_health_view_has_the_api_shape_and_evaluates_every_level():
    # given a check seen by two sources under a majority quorum and a check without data
    # when the view is built
    health_view = build_health_view(
        system_id="shop", checks=sample_checks(), evaluated_at="2024-05-01T12:06:00Z"
    )

    # then it is a SystemHealth whose wire form round-trips, and statuses follow the rules
    assert isinstance(health_view, SystemHealthView)
    view = health_view.to_wire()
    assert SystemHealthView.model_validate(view).to_wire() == view
    api, db = view["checks"]
    assert [s["sourceId"] for s in api["sources"]] == ["local", "sat-1"]  # by source id, not input order
    assert [s["status"] for s in api["sources"]] == ["unhealthy", "healthy"]
    assert api["status"] == "healthy"
    assert api["lastRunAt"] == "2024-05-01T12:05:00.000Z"
    assert db["status"] == "unknown"
    assert db["lastRunAt"] is None
    assert view["status"] == "healthy"


def test_health_view_keeps_since_while_the_status_holds():
    # given a previous view that was healthy since 11:00
    # when the system is evaluated healthy again
    view = build_health_view(
        system_id="shop",
        checks=sample_checks(),
        evaluated_at="2024-05-01T12:06:00Z",
        previous_status="healthy",
        previous_since="2024-05-01T11:00:00Z",
    ).to_wire()

    # then since is unchanged
    assert view["since"] == "2024-05-01T11:00:00.000Z"


def test_health_view_restarts_since_when_the_status_changes():
    # given a previous view that was healthy since 11:00
    # when the satellite goes offline, leaving only the unhealthy local slice
    view = build_health_view(
        system_id="shop",
        checks=sample_checks(),
        evaluated_at="2024-05-01T12:06:00Z",
        previous_status="healthy",
        previous_since="2024-05-01T11:00:00Z",
        offline_sources={"sat-1"},
    ).to_wire()

    # then the status changes, since is now, and the offline source shows as unknown
    assert view["status"] == "unhealthy"
    assert view["since"] == "2024-05-01T12:06:00.000Z"
    assert view["checks"][0]["sources"][1]["status"] == "unknown"


def test_health_view_of_a_system_without_checks_is_unknown():
    view = build_health_view(system_id="shop", checks=[], evaluated_at="2024-05-01T12:06:00Z").to_wire()
    assert (view["status"], view["checks"], view["since"]) == ("unknown", [], "2024-05-01T12:06:00.000Z")


def test_health_view_lists_sources_by_id_whatever_their_order_or_kind():
    # given a satellite whose id sorts before "local", passed after it
    local = empty_slice("local", "Local")
    satellite = empty_slice("eu-1", "Eu-1")
    checks = [CheckSlices("api", "API", "any", (local, satellite))]
    # when
    view = build_health_view(system_id="shop", checks=checks, evaluated_at="2024-05-01T12:06:00Z")
    # then
    assert [s.source_id for s in view.checks[0].sources] == ["eu-1", "local"]
