"""What a status page shows of alerting (open and recent incidents, from the alerting store) and of
maintenance: a banner appears and goes at once, when a window is written and when it starts or ends."""

from __future__ import annotations

from datetime import timedelta

from shared import aws
from shared.data.alerting import AlertingStore
from shared.domain.wire import format_timestamp
from shared.services.context import default_collaborators
from tests.integration.api.stack import TABLE, created
from tests.integration.heartbeats.conftest import three_systems


def page(stack) -> dict:
    return stack.call("GET", "/status/acme.json", key=None).body


def html(stack) -> str:
    return stack.call("GET", "/status/acme", key=None).body


def store_incident(clock, system_id: str, status: str, *, opened_ago: int, resolved_ago: int | None = None):
    """An incident as the notifier leaves it, named in its system's alert state."""
    store = AlertingStore(aws.dynamodb(), TABLE)
    incident_id = f"inc-{system_id}-{opened_ago}"
    resolved = status == "resolved"
    incident = {
        "id": incident_id,
        "systemId": system_id,
        "systemName": system_id.title(),
        "status": status,
        "healthStatus": "healthy" if resolved else "unhealthy",
        "openedAt": format_timestamp(clock.moment - timedelta(seconds=opened_ago)),
        "resolvedAt": format_timestamp(clock.moment - timedelta(seconds=resolved_ago)) if resolved else None,
        "flapping": False,
        "suppressedBy": [],
        "policyIds": ["p"],
        "stepsDone": [] if status == "pending" else ["p:open"],
        "version": 1,
    }
    state = store.get_alert_state(system_id) or {"systemId": system_id, "version": 0, "recentIncidentIds": []}
    state = state | {
        "version": state["version"] + 1,
        "incidentId": None if resolved else incident_id,
        "recentIncidentIds": [incident_id, *state["recentIncidentIds"]],
    }
    store.save_alerting(state=state, incident=incident)


def test_open_and_recent_incidents_are_shown_newest_first(stack, clock):
    # given db down with an open incident, web recovered yesterday and 8 days ago, queue pending
    three_systems(stack, clock)
    store_incident(clock, "web", "resolved", opened_ago=8 * 86400, resolved_ago=8 * 86400 - 600)
    store_incident(clock, "web", "resolved", opened_ago=86400, resolved_ago=86000)
    store_incident(clock, "db", "open", opened_ago=300)
    store_incident(clock, "queue", "pending", opened_ago=10)
    # when
    body = page(stack)
    text = html(stack)
    # then the open one and yesterday's are shown; the old and the unannounced ones are not
    assert [(i["systemId"], i["status"], i["title"]) for i in body["incidents"]] == [
        ("db", "open", "Db is unhealthy"),
        ("web", "resolved", "Web recovered"),
    ]
    assert 'class="incident incident-open"><strong>Db is unhealthy</strong>' in text


def test_an_acknowledgement_shows_at_once(stack, clock):
    # given a page showing an open incident
    three_systems(stack, clock)
    store_incident(clock, "db", "open", opened_ago=300)
    assert page(stack)["incidents"][0]["status"] == "open"
    # when it is acknowledged (no health change)
    store = AlertingStore(aws.dynamodb(), TABLE)
    incident = store.get_incident("inc-db-300")
    store.save_alerting(incident=incident | {"status": "acknowledged", "version": incident["version"] + 1})
    # then
    assert page(stack)["incidents"][0]["status"] == "acknowledged"


def test_a_page_renders_without_incidents_when_they_cannot_be_read(stack, clock):
    # given an incidents reader that fails
    three_systems(stack, clock)

    class Unreachable:
        def incidents_for(self, system_ids, since):
            raise ConnectionError("alerting store unreachable")

    default_collaborators().incidents = Unreachable()
    # when
    answer = stack.call("GET", "/status/acme", key=None)
    # then the page is served, without its incidents section
    assert answer.status == 200
    assert "Incidents" not in answer.body
    assert 'data-system="db"' in answer.body


def test_a_maintenance_written_or_deleted_shows_on_the_next_render(stack, clock):
    # given a rendered (cached) page
    three_systems(stack, clock)
    assert "Database move" not in html(stack)
    window = {
        "title": "Database move",
        "startsAt": (clock.moment - timedelta(minutes=1)).isoformat(),
        "endsAt": (clock.moment + timedelta(hours=1)).isoformat(),
    }
    # when a window is written, then deleted, with no health change in between
    maintenance = created(stack.call("POST", "/systems/db/maintenances", window))
    shown = html(stack)
    assert stack.call("DELETE", f"/systems/db/maintenances/{maintenance['id']}").status == 204
    # then
    assert "Maintenance in progress:</strong> Database move" in shown
    assert "Database move" not in html(stack)


def test_a_window_that_starts_or_ends_changes_the_banner_at_that_moment(stack, clock):
    # given a window starting in 20 s and lasting 20 s, and a cached render
    three_systems(stack, clock)
    window = {
        "title": "Cache flush",
        "startsAt": (clock.moment + timedelta(seconds=20)).isoformat(),
        "endsAt": (clock.moment + timedelta(seconds=40)).isoformat(),
    }
    created(stack.call("POST", "/systems/web/maintenances", window))
    before = html(stack)
    # when it starts, and when it ends (same minute: the render key alone would not change)
    clock.advance(21)
    during = html(stack)
    clock.advance(20)
    after = html(stack)
    # then
    assert "Scheduled maintenance:</strong> Cache flush" in before
    assert "Maintenance in progress:</strong> Cache flush" in during
    assert "Cache flush" not in after
