"""The live path of a system's state: `next_state` builds its view with the domain's health view."""

from datetime import UTC, datetime

from shared.domain.assignment_models import AssignmentPut
from shared.domain.health_views import SystemHealthView
from shared.events import SYSTEM_HEALTH_CHANGED
from shared.services.health_state import SliceRun, next_state

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def assignment(configuration_id: str, **settings) -> dict:
    wire = AssignmentPut.model_validate(settings).model_dump(mode="json", by_alias=True)
    return wire | {"configurationId": configuration_id, "configurationName": configuration_id.title()}


def snapshot(*assignments: dict, state: dict | None = None) -> dict:
    system = {"id": "shop", "name": "Shop"}
    return {"system": system, "state": state, "assignments": list(assignments), "maintenances": []}


def test_a_failing_run_changes_the_view_and_emits_one_transition():
    # given a system with one local check (degraded after one failure) and no runs yet
    first = snapshot(assignment("web", stateThresholds={"mode": "consecutive", "degradedAfter": 1}))
    # when a failing run arrives
    outcome = next_state(
        first, NOW, run=SliceRun("web", "local", "Local", "unhealthy", "2024-05-01T11:59:00.000Z")
    )
    # then the stored view is the domain's SystemHealth, and the change is an event
    view = SystemHealthView.model_validate(outcome.item["view"])
    assert view.status == "degraded"
    assert [(c.configuration_id, c.status) for c in view.checks] == [("web", "degraded")]
    assert outcome.transition["previousStatus"] == "unknown"
    assert outcome.event.detail_type == SYSTEM_HEALTH_CHANGED
    assert (outcome.event.detail["healthyChecks"], outcome.event.detail["totalChecks"]) == (0, 1)


def test_an_offline_satellite_reads_unknown_and_sources_are_listed_by_id():
    # given a check seen by a satellite sorting before "local", both healthy
    web = assignment("web", satelliteIds=["eu-1"])
    state = next_state(
        snapshot(web), NOW, run=SliceRun("web", "eu-1", "Eu-1", "healthy", "2024-05-01T11:59:00.000Z")
    )
    state = next_state(
        snapshot(web, state=state.item),
        NOW,
        run=SliceRun("web", "local", "Local", "healthy", "2024-05-01T11:59:30.000Z"),
    )
    # when the satellite goes offline
    outcome = next_state(snapshot(web, state=state.item), NOW, offline={"eu-1"})
    # then it shows as unknown, listed first, and the check stays healthy on the local slice
    sources = outcome.item["view"]["checks"][0]["sources"]
    assert [(s["sourceId"], s["status"]) for s in sources] == [("eu-1", "unknown"), ("local", "healthy")]
    assert outcome.item["status"] == "healthy"
    assert outcome.event is None


def test_since_holds_while_the_status_holds():
    # given a healthy system
    web = assignment("web")
    state = next_state(
        snapshot(web), NOW, run=SliceRun("web", "local", "Local", "healthy", "2024-05-01T11:59:00.000Z")
    )
    # when another healthy run comes a minute later
    later = datetime(2024, 5, 1, 12, 1, tzinfo=UTC)
    outcome = next_state(
        snapshot(web, state=state.item),
        later,
        run=SliceRun("web", "local", "Local", "healthy", "2024-05-01T12:00:30.000Z"),
    )
    # then since is the first evaluation, evaluatedAt is now
    assert outcome.item["view"]["since"] == "2024-05-01T12:00:00.000Z"
    assert outcome.item["view"]["evaluatedAt"] == "2024-05-01T12:01:00.000Z"
    assert outcome.transition is None
