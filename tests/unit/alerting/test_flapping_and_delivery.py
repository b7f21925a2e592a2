"""Flapping notices and delivery faults on in-memory fakes: retries with back-off, dead letters,
non-retryable answers, deleted channels, and a crash between send and log."""

from collections import Counter

import pytest

from shared.services.alerting.notifier import handle_message
from shared.services.alerting.ports import SendResult
from tests.unit.alerting.fakes import world
from tests.unit.alerting.test_incidents import channel, policy


@pytest.fixture
def w():
    built = world()
    built.systems.add("web")
    channel(built)
    policy(built)
    return built


def flap(w, flips: int, every_seconds: float = 20) -> None:
    status = "healthy"
    for _ in range(flips):
        previous, status = status, "unhealthy" if status == "healthy" else "healthy"
        w.transition("web", status, previous=previous)
        w.drain()
        w.clock.advance(every_seconds)


def test_twenty_flips_give_at_most_three_deliveries_per_incident_and_one_flapping_notice(w):
    # when
    flap(w, 20)
    w.run_until(900, step=30)
    # then
    per_incident = Counter(n["incidentId"] for _, n in w.sender.sent)
    assert max(per_incident.values()) <= 3
    assert w.sent_kinds().count("flapping") == 1
    assert w.sent_kinds().count("settled") == 1
    assert all(i["status"] == "resolved" for i in w.store.incidents.values())
    assert w.store.states["web"]["flapping"] is False


def test_a_flap_that_settles_while_down_keeps_one_open_incident(w):
    # when: the seventh and last transition leaves the system unhealthy
    flap(w, 7)
    w.run_until(700, step=30)
    # then
    (open_incident,) = [i for i in w.store.incidents.values() if i["status"] != "resolved"]
    assert open_incident["flapping"] is False
    assert open_incident["status"] == "open"
    assert w.sent_kinds()[-1] == "settled"


def test_a_failing_channel_is_retried_with_back_off_then_dead_lettered_with_a_timeline_entry(w):
    # given: 500, 429, a refused connection, a hang, each retryable
    w.sender.answers = [
        SendResult(False, 500, 3.0, "answered 500"),
        SendResult(False, 429, 3.0, "answered 429"),
        SendResult(False, None, 1.0, "ClientConnectorError: refused"),
        SendResult(False, None, 10000.0, "no answer within 10 s"),
    ]
    start = w.clock()
    # when
    w.transition("web", "unhealthy")
    w.drain()
    # then
    assert len(w.sender.sent) == 4
    assert (w.clock() - start).total_seconds() == 5 + 10 + 20
    assert len(w.dead_letters) == 1
    (incident_id,) = w.store.incidents
    (delivery,) = w.store.deliveries(incident_id)
    assert delivery["status"] == "failed"
    assert [a["statusCode"] for a in delivery["attempts"]] == [500, 429, None, None]
    assert w.store.timeline(incident_id)[-1]["kind"] == "deliveryFailed"


def test_a_transient_failure_is_delivered_on_retry_and_logged(w):
    # given
    w.sender.answers = [SendResult(False, 503, 2.0, "answered 503")]
    # when
    w.transition("web", "unhealthy")
    w.drain()
    # then
    (incident_id,) = w.store.incidents
    (delivery,) = w.store.deliveries(incident_id)
    assert delivery["status"] == "sent"
    assert [a["statusCode"] for a in delivery["attempts"]] == [503, 200]
    assert w.dead_letters == []


def test_a_refused_target_is_not_retried(w):
    # given
    w.sender.answers = [SendResult(False, None, 0.1, "TARGET_FORBIDDEN: 10.0.0.1", retryable=False)]
    # when
    w.transition("web", "unhealthy")
    w.drain()
    # then
    assert len(w.sender.sent) == 1
    assert w.dead_letters == []
    (incident_id,) = w.store.incidents
    assert w.store.deliveries(incident_id)[0]["status"] == "failed"


def test_a_policy_naming_a_deleted_channel_logs_the_delivery_as_not_sent(w):
    # given
    w.store.delete_resource("channel", "ops")
    # when
    w.transition("web", "unhealthy")
    w.drain()
    # then
    assert w.sender.sent == []
    (incident_id,) = w.store.incidents
    assert w.store.deliveries(incident_id)[0]["attempts"][0]["error"] == "channel deleted"
    assert "channel deleted" in w.store.timeline(incident_id)[-1]["message"]


def test_a_crash_between_send_and_log_sends_again_with_the_same_delivery_id(w):
    # given
    w.transition("web", "unhealthy")
    (message,) = w.queue.messages
    real_put = w.store.put_delivery
    crashes = iter([True])

    def crash_once(delivery):
        if next(crashes, False):
            raise RuntimeError("process died")
        real_put(delivery)

    w.store.put_delivery = crash_once
    # when
    with pytest.raises(RuntimeError):
        handle_message(w.alerting, message, attempt=1)
    handle_message(w.alerting, message, attempt=2)
    handle_message(w.alerting, message, attempt=3)
    # then
    ids = [n["deliveryId"] for _, n in w.sender.sent]
    assert len(ids) == 2 and len(set(ids)) == 1
    assert [n["incidentId"] for _, n in w.sender.sent] == [message["incidentId"]] * 2
