"""Incidents on in-memory fakes and a fake clock: open, recover, duplicates, forSeconds,
reminders, escalation, acknowledge, maintenance and dependencies."""

import pytest

from shared.domain.catalog_items import MaintenanceItem
from shared.services.alerting import incidents
from tests.unit.alerting.fakes import world


def channel(w, channel_id="ops", channel_type="webhook"):
    item = {
        "id": channel_id,
        "name": channel_id,
        "type": channel_type,
        "config": {"url": "https://hooks.example.com/x"},
        "signingSecret": "sealed:terces",
        "createdAt": "x",
        "updatedAt": "x",
        "version": 1,
    }
    w.store.create_resource("channel", item)


def policy(w, policy_id="p", **fields):
    item = {
        "id": policy_id,
        "name": policy_id,
        "systemIds": [],
        "tags": [],
        "checkIds": [],
        "channelIds": ["ops"],
        "notifyOn": ["unhealthy"],
        "forSeconds": 0,
        "sendOnRecovery": True,
        "remindEverySeconds": None,
        "escalations": [],
        "flapping": {"transitions": 5, "windowSeconds": 600},
        "version": 1,
    } | fields
    w.store.create_resource("alertPolicy", item)


@pytest.fixture
def w():
    built = world()
    built.systems.add("web")
    channel(built)
    return built


def test_a_transition_to_unhealthy_notifies_once_and_recovery_once(w):
    # given
    policy(w)
    # when
    w.transition("web", "unhealthy")
    w.drain()
    w.clock.advance(30)
    w.transition("web", "healthy", previous="unhealthy")
    w.drain()
    # then
    assert w.sent_kinds() == ["open", "resolve"]
    (incident,) = w.store.incidents.values()
    assert incident["status"] == "resolved"
    assert [e["kind"] for e in w.store.timeline(incident["id"])] == [
        "opened",
        "delivered",
        "resolved",
        "delivered",
    ]
    assert w.scheduler.wakeups == {}


def test_a_duplicate_event_delivers_nothing_more(w):
    # given
    policy(w)
    w.transition("web", "unhealthy")
    # when: the same event again, and its deliveries queued twice
    w.systems.status["web"] = "unhealthy"
    at = w.clock()
    w.transition("web", "unhealthy")
    w.queue.messages += list(w.queue.messages)
    w.drain()
    # then
    assert w.clock() == at
    assert w.sent_kinds() == ["open"]
    assert len(w.store.incidents) == 1


def test_degraded_is_not_notified_unless_the_policy_asks(w):
    # given
    policy(w)
    policy(w, "degraded-too", notifyOn=["unhealthy", "degraded"])
    # when
    w.transition("web", "degraded")
    w.drain()
    # then
    (incident,) = w.store.incidents.values()
    assert incident["policyIds"] == ["degraded-too"]
    assert w.sent_kinds() == ["open"]


def test_a_state_shorter_than_for_seconds_notifies_nobody(w):
    # given
    policy(w, forSeconds=120)
    # when
    w.transition("web", "unhealthy")
    w.run_until(60)
    w.transition("web", "healthy", previous="unhealthy")
    w.run_until(300)
    # then
    assert w.sent_kinds() == []
    (incident,) = w.store.incidents.values()
    assert incident["status"] == "resolved"


def test_a_state_lasting_for_seconds_notifies_when_it_has_lasted(w):
    # given
    policy(w, forSeconds=120)
    # when
    w.transition("web", "unhealthy")
    w.run_until(110)
    before = w.sent_kinds()
    w.run_until(20)
    # then
    assert before == []
    assert w.sent_kinds() == ["open"]


def test_reminders_and_escalation_on_schedule_and_none_after_acknowledge(w):
    # given
    channel(w, "pager", "pagerduty")
    policy(w, remindEverySeconds=300, escalations=[{"afterSeconds": 600, "channelIds": ["pager"]}])
    w.transition("web", "unhealthy")
    w.drain()
    # when
    w.run_until(620)
    by_then = w.sent_kinds()
    (incident_id,) = w.store.incidents
    incidents.acknowledge(w.alerting, incident_id, by="alice")
    w.drain()
    w.run_until(3600)
    # then
    assert by_then == ["open", "remind", "remind", "escalate"]
    assert w.sent_kinds("pager") == ["escalate", "acknowledge"]
    assert w.sent_kinds("ops") == ["open", "remind", "remind"]
    timeline = w.store.timeline(incident_id)
    assert any(e["kind"] == "acknowledged" and e["message"] == "by alice" for e in timeline)
    assert w.scheduler.wakeups == {}


def test_a_suppressing_maintenance_holds_the_page_until_it_ends(w):
    # given
    w.systems.add(
        "web",
        maintenances=[
            MaintenanceItem(
                id="m1",
                system_id="web",
                title="upgrade",
                suppress_notifications=True,
                starts_at="2026-01-05T11:00:00.000Z",
                ends_at="2026-01-05T12:10:00.000Z",
                created_at="2026-01-05T10:00:00.000Z",
            )
        ],
    )
    policy(w)
    # when
    w.transition("web", "unhealthy")
    w.run_until(300)
    during = w.sent_kinds()
    w.run_until(600)
    # then
    assert during == []
    assert w.sent_kinds() == ["open"]
    (incident_id,) = w.store.incidents
    assert "suppressed" in [e["kind"] for e in w.store.timeline(incident_id)]


def test_one_page_for_a_root_dependency_with_five_dependents_down(w):
    # given
    w.systems.add("db")
    dependents = [f"app{i}" for i in range(5)]
    for name in dependents:
        w.systems.add(name, depends_on=["db"])
    policy(w)
    # when: a dependent is seen first, then the root, then the others
    w.systems.status["db"] = "unhealthy"
    w.transition("app0", "unhealthy")
    w.transition("db", "unhealthy")
    for name in dependents[1:]:
        w.transition(name, "unhealthy")
    w.run_until(300)
    # then
    assert [n["systemId"] for _, n in w.sender.sent] == ["db"]
    assert len(w.store.incidents) == 6
    held = [i for i in w.store.incidents.values() if i["suppressedBy"]]
    assert len(held) == 5


def test_a_dependent_notified_before_its_root_failed_still_sends_its_recovery(w):
    # given
    w.systems.add("db")
    w.systems.add("app", depends_on=["db"])
    policy(w)
    w.transition("app", "unhealthy")
    w.drain()
    # when
    w.transition("db", "unhealthy")
    w.drain()
    w.clock.advance(5)
    w.transition("app", "healthy", previous="unhealthy")
    w.drain()
    # then
    assert [(n["systemId"], n["stepKind"]) for _, n in w.sender.sent] == [
        ("app", "open"),
        ("db", "open"),
        ("app", "resolve"),
    ]


def test_a_dependent_still_down_after_its_root_recovers_is_paged(w):
    # given
    w.systems.add("db")
    w.systems.add("app", depends_on=["db"])
    policy(w)
    w.transition("db", "unhealthy")
    w.transition("app", "unhealthy")
    w.drain()
    # when
    w.clock.advance(5)
    w.transition("db", "healthy", previous="unhealthy")
    w.run_until(120)
    # then
    assert [(n["systemId"], n["stepKind"]) for _, n in w.sender.sent] == [
        ("db", "open"),
        ("db", "resolve"),
        ("app", "open"),
    ]


def test_an_out_of_order_older_event_is_ignored(w):
    # given
    policy(w)
    w.transition("web", "unhealthy")
    w.drain()
    w.clock.advance(10)
    w.transition("web", "healthy", previous="unhealthy")
    w.drain()
    # when: the first event arrives again, late
    w.clock.advance(-10)
    w.transition("web", "unhealthy")
    w.drain()
    # then
    assert w.sent_kinds() == ["open", "resolve"]


def test_an_incident_of_a_deleted_system_resolves_quietly_at_its_next_wakeup(w):
    # given
    policy(w, remindEverySeconds=300)
    w.transition("web", "unhealthy")
    w.drain()
    # when
    del w.systems.systems["web"]
    w.run_until(900)
    # then
    assert w.sent_kinds() == ["open"]
    (incident,) = w.store.incidents.values()
    assert incident["status"] == "resolved"
    assert w.scheduler.wakeups == {}
