"""The state items as the store keeps them, and `next_system_state`: the one way every path derives a
system's state item (and so the view health reads serve) from its checks' typed slices."""

from decimal import Decimal

from shared.domain.health import CheckSlices, SliceState, empty_slice
from shared.domain.state_items import CheckStateItem, SystemStateItem
from shared.domain.system_state import initial_state, next_system_state

CREATED = "2024-05-01T11:00:00.000Z"
NOW = "2024-05-01T12:00:00.000Z"
LATER = "2024-05-01T12:01:00.000Z"


def slice_of(source_id: str, status: str, last_run_at: str = "2024-05-01T11:59:00.000Z") -> SliceState:
    return SliceState(
        source_id=source_id,
        source_label=source_id.title(),
        status=status,
        recent=(status,) if status != "unknown" else (),
        last_run_at=last_run_at,
        run_count=1,
    )


def web(*slices: SliceState, quorum: str = "any") -> CheckSlices:
    return CheckSlices("web", "Web", quorum, slices)


def test_a_new_system_is_unknown_since_its_creation_with_an_empty_view():
    # when
    state = initial_state("shop", CREATED)
    # then
    assert (state.version, state.status, state.since, state.check_versions) == (1, "unknown", CREATED, {})
    view = state.to_item()["view"]
    assert view == {
        "systemId": "shop",
        "status": "unknown",
        "evaluatedAt": CREATED,
        "since": CREATED,
        "checks": [],
    }


def test_the_first_evaluation_moves_from_the_initial_state_and_records_the_check_versions():
    # given a system without a state item and one healthy local check at version 3
    # when
    step = next_system_state(
        None, system_id="shop", checks=[web(slice_of("local", "healthy"))], check_versions={"web": 3}, now=NOW
    )
    # then
    assert (step.previous_status, step.item.status, step.status_changed, step.changed) == (
        "unknown",
        "healthy",
        True,
        True,
    )
    assert (step.item.version, step.item.since, step.item.check_versions) == (2, NOW, {"web": 3})
    assert [(c.configuration_id, c.status) for c in step.item.view.checks] == [("web", "healthy")]


def test_a_later_evaluation_that_shows_the_same_is_no_change_and_keeps_since():
    # given
    first = next_system_state(
        initial_state("shop", CREATED),
        system_id="shop",
        checks=[web(slice_of("local", "healthy"))],
        check_versions={"web": 1},
        now=NOW,
    ).item
    # when only the check's version moved
    again = next_system_state(
        first,
        system_id="shop",
        checks=[web(slice_of("local", "healthy"))],
        check_versions={"web": 2},
        now=LATER,
    )
    # then the view is the same but for evaluatedAt: nothing worth storing
    assert (again.changed, again.status_changed, again.item.since, again.item.version) == (
        False,
        False,
        NOW,
        3,
    )
    assert again.item.to_item()["view"]["evaluatedAt"] == LATER


def test_an_offline_satellite_is_shown_unknown_and_changes_the_view():
    # given a check seen healthy by a satellite and the local source, under "all"
    checks = [web(slice_of("eu-1", "healthy"), slice_of("local", "degraded"), quorum="all")]
    before = next_system_state(None, system_id="shop", checks=checks, check_versions={"web": 1}, now=NOW).item
    assert before.status == "healthy"
    # when the satellite is offline
    step = next_system_state(
        before,
        system_id="shop",
        checks=checks,
        check_versions={"web": 1},
        now=LATER,
        offline_sources={"eu-1"},
    )
    # then the check counts only the local slice, and the satellite is listed as unknown
    assert (step.item.status, step.status_changed, step.item.since) == ("degraded", True, LATER)
    assert [(s.source_id, s.status) for s in step.item.view.checks[0].sources] == [
        ("eu-1", "unknown"),
        ("local", "degraded"),
    ]


def test_a_state_item_round_trips_through_its_stored_attributes():
    # given
    state = next_system_state(
        None, system_id="shop", checks=[web(slice_of("local", "healthy"))], check_versions={"web": 3}, now=NOW
    ).item
    # when stored and read back with numbers as DynamoDB returns them
    item = state.to_item()
    item["version"] = Decimal(item["version"])
    item["checkVersions"] = {k: Decimal(v) for k, v in item["checkVersions"].items()}
    # then nothing is lost and the attribute names are those in the table
    assert set(item) == {"systemId", "version", "status", "since", "checkVersions", "view"}
    assert SystemStateItem.model_validate(item) == state
    assert state.reflects({"web": 3}) and not state.reflects({"web": 4}) and not state.reflects({})


def test_a_check_item_written_by_older_code_loads_and_writes_back_what_it_had():
    # given a check item without a timeline, a slice without a label, numbers as Decimal
    stored = {
        "systemId": "shop",
        "configurationId": "web",
        "version": Decimal(4),
        "rolledThrough": "2024-04-28",
        "slices": {
            "local": {
                "sourceId": "local",
                "status": "degraded",
                "recent": "hu",
                "consecutiveFailing": Decimal(1),
            }
        },
    }
    # when
    item = CheckStateItem.model_validate(stored)
    # then
    local = item.slices["local"]
    assert (local.source_label, local.recent, local.consecutive_failing) == (
        "local",
        ("healthy", "unhealthy"),
        1,
    )
    assert (item.timeline, item.rolled_through, item.outbox_swept_at) == (None, "2024-04-28", None)
    assert item.to_item() == {
        "systemId": "shop",
        "configurationId": "web",
        "version": 4,
        "rolledThrough": "2024-04-28",
        "slices": {
            "local": {
                "sourceId": "local",
                "sourceLabel": "local",
                "status": "degraded",
                "recent": "hu",
                "consecutiveFailing": 1,
                "consecutiveHealthy": 0,
                "runCount": 0,
            }
        },
    }


def test_a_check_item_gives_the_slices_of_the_sources_asked_for_by_source_id():
    item = CheckStateItem(
        system_id="shop",
        configuration_id="web",
        version=1,
        slices={"local": empty_slice("local", "Local"), "eu-1": empty_slice("eu-1", "Eu-1")},
    )
    assert [s.source_id for s in item.slices_of({"local", "eu-1", "us-1"})] == ["eu-1", "local"]
    assert item.slices_of({"us-1"}) == ()
