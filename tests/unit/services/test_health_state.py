"""The live path of a system's state: a run changes its check's item (`apply_check_run`), and
`next_state` builds the system view from the check items with the domain's health view."""

from datetime import UTC, datetime

from shared.domain.assignment_models import AssignmentPut
from shared.domain.catalog_items import AssignmentItem, SystemItem
from shared.domain.health_views import SystemHealthView
from shared.domain.snapshots import SystemSnapshot
from shared.domain.state_items import CheckStateItem, SystemStateItem
from shared.events import SYSTEM_HEALTH_CHANGED
from shared.services.check_state import SliceRun, apply_check_run
from shared.services.health_state import initial_state, next_state, reflects

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def assignment(configuration_id: str, **settings) -> AssignmentItem:
    wire = AssignmentPut.model_validate(settings).model_dump(mode="json", by_alias=True)
    return AssignmentItem.model_validate(
        wire
        | {
            "systemId": "shop",
            "configurationId": configuration_id,
            "configurationName": configuration_id.title(),
            "strategyId": "http",
            "intervalSeconds": 60,
            "createdAt": "2024-05-01T00:00:00.000Z",
            "updatedAt": "2024-05-01T00:00:00.000Z",
            "version": 1,
        }
    )


def snapshot(
    *assignments: AssignmentItem, state: SystemStateItem | None = None, checks: dict | None = None
) -> SystemSnapshot:
    system = SystemItem(
        id="shop",
        name="Shop",
        created_at="2024-05-01T00:00:00.000Z",
        updated_at="2024-05-01T00:00:00.000Z",
        version=1,
    )
    return SystemSnapshot(system, state, list(assignments), checks or {})


def with_run(assignment: AssignmentItem, item: CheckStateItem | None, run: SliceRun) -> CheckStateItem:
    return apply_check_run(item, assignment, run, now=NOW).item


def test_a_failing_run_changes_the_view_and_emits_one_transition():
    # given a system with one local check (degraded after one failure) and no runs yet
    web = assignment("web", stateThresholds={"mode": "consecutive", "degradedAfter": 1})
    # when a failing run arrives
    item = with_run(web, None, SliceRun("web", "local", "Local", "unhealthy", "2024-05-01T11:59:00.000Z"))
    outcome = next_state(snapshot(web, checks={"web": item}), NOW)
    # then the stored view is the domain's SystemHealth, and the change is an event
    view = outcome.item.view
    assert isinstance(view, SystemHealthView)
    assert view.status == "degraded"
    assert [(c.configuration_id, c.status) for c in view.checks] == [("web", "degraded")]
    assert outcome.transition.previous_status == "unknown"
    assert outcome.event.detail_type == SYSTEM_HEALTH_CHANGED
    assert (outcome.event.detail["healthyChecks"], outcome.event.detail["totalChecks"]) == (0, 1)


def test_an_offline_satellite_reads_unknown_and_sources_are_listed_by_id():
    # given a check seen by a satellite sorting before "local", both healthy
    web = assignment("web", satelliteIds=["eu-1"])
    item = with_run(web, None, SliceRun("web", "eu-1", "Eu-1", "healthy", "2024-05-01T11:59:00.000Z"))
    item = with_run(web, item, SliceRun("web", "local", "Local", "healthy", "2024-05-01T11:59:30.000Z"))
    state = next_state(snapshot(web, checks={"web": item}), NOW)
    # when the satellite goes offline
    outcome = next_state(snapshot(web, state=state.item, checks={"web": item}), NOW, offline={"eu-1"})
    # then it shows as unknown, listed first, and the check stays healthy on the local slice
    sources = outcome.item.view.checks[0].sources
    assert [(s.source_id, s.status) for s in sources] == [("eu-1", "unknown"), ("local", "healthy")]
    assert outcome.item.status == "healthy"
    assert outcome.event is None


def test_since_holds_while_the_status_holds():
    # given a healthy system
    web = assignment("web")
    item = with_run(web, None, SliceRun("web", "local", "Local", "healthy", "2024-05-01T11:59:00.000Z"))
    state = next_state(snapshot(web, checks={"web": item}), NOW)
    # when another healthy run comes a minute later
    later = datetime(2024, 5, 1, 12, 1, tzinfo=UTC)
    item = with_run(web, item, SliceRun("web", "local", "Local", "healthy", "2024-05-01T12:00:30.000Z"))
    outcome = next_state(snapshot(web, state=state.item, checks={"web": item}), later)
    # then since is the first evaluation, evaluatedAt is now
    assert outcome.item.to_item()["view"]["since"] == "2024-05-01T12:00:00.000Z"
    assert outcome.item.to_item()["view"]["evaluatedAt"] == "2024-05-01T12:01:00.000Z"
    assert outcome.transition is None


def test_a_run_that_keeps_every_shown_status_does_not_touch_the_system_view():
    # given a healthy local check
    web = assignment("web")
    first = apply_check_run(
        None, web, SliceRun("web", "local", "Local", "healthy", "2024-05-01T11:59:00.000Z"), now=NOW
    )
    # when another healthy run comes, then a failing one (degraded after one failure by default: 2)
    second = apply_check_run(
        first.item, web, SliceRun("web", "local", "Local", "healthy", "2024-05-01T11:59:10.000Z"), now=NOW
    )
    failing = apply_check_run(
        second.item, web, SliceRun("web", "local", "Local", "unhealthy", "2024-05-01T11:59:20.000Z"), now=NOW
    )
    # then only the runs that moved a shown status ask for a new view
    assert (first.shown_changed, first.status_changed, first.status) == (True, True, "healthy")
    assert (second.shown_changed, second.item.version) == (False, 2)
    assert failing.shown_changed == failing.status_changed


def test_a_view_reflects_a_check_only_from_the_version_it_was_built_on():
    # given a view built from version 3 of web and 1 of api
    state = initial_state("shop", "2024-05-01T12:00:00.000Z").model_copy(
        update={"check_versions": {"web": 3, "api": 1}}
    )
    # then a run that wrote web 3 is reflected, one that wrote web 4 or a new check is not
    assert reflects(state, {"web": 3})
    assert not reflects(state, {"web": 4})
    assert not reflects(state, {"db": 1})
    assert not reflects(None, {"web": 1})
