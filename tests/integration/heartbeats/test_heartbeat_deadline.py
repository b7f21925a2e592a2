"""The issue's done-when: a heartbeat with period 60 s and grace 30 s, pinged from a loop; the loop
stops and the system goes unhealthy at the deadline (within one tick) with a transition recorded."""

from __future__ import annotations

from tests.integration.heartbeats.conftest import START, health, heartbeat_check, ping, tick


def test_a_stopped_ping_loop_turns_the_system_unhealthy_within_one_tick_of_the_deadline(stack, clock):
    # given a job pinging every minute, with the scheduler ticking every minute
    token = heartbeat_check(stack)
    for _ in range(3):
        assert ping(stack, token).status == 200
        tick(stack)
        clock.advance(60)
    assert health(stack) == "healthy"
    last_ping = clock.moment.timestamp() - 60
    deadline = last_ping + 60 + 30
    # when the loop stops and the scheduler keeps ticking
    statuses = []
    while clock.moment.timestamp() <= deadline + 60:
        tick(stack)
        statuses.append((clock.moment.timestamp(), health(stack)))
        clock.advance(60)
    # then it is still healthy before the deadline and unhealthy within one tick after it
    assert all(status == "healthy" for at, status in statuses if at < deadline)
    assert [status for at, status in statuses if at >= deadline][-1] == "unhealthy"
    transitions = stack.call("GET", "/systems/nightly/transitions").body["items"]
    latest = max(transitions, key=lambda t: t["at"])
    assert (latest["previousStatus"], latest["newStatus"]) == ("healthy", "unhealthy")
    runs = stack.call("GET", "/systems/nightly/checks/nightly-beat/runs").body["items"]
    missed = [r for r in runs if r["status"] == "unhealthy"]
    assert len(missed) == 1
    assert missed[0]["error"]["code"] == "HEARTBEAT_LATE"
    assert missed[0]["timestamp"].startswith(START.strftime("%Y-%m-%dT12:03:30"))


def test_a_deadline_checked_twice_records_one_missed_run(stack, clock):
    # given a heartbeat pinged once, then silent past its deadline
    token = heartbeat_check(stack)
    ping(stack, token)
    clock.advance(95)
    # when the scheduler ticks twice and the late job finally pings
    tick(stack)
    tick(stack)
    ping(stack, token)
    # then the missed deadline is one unhealthy run, and the ping a healthy one
    runs = stack.call("GET", "/systems/nightly/checks/nightly-beat/runs").body["items"]
    assert sorted(r["status"] for r in runs) == ["healthy", "healthy", "unhealthy"]


def test_a_late_ping_records_the_missed_deadline_before_its_own_run(stack, clock):
    # given a heartbeat pinged once
    token = heartbeat_check(stack)
    ping(stack, token)
    # when the next ping comes after period + grace, before any tick noticed
    clock.advance(120)
    answer = ping(stack, token)
    # then the miss is recorded at the deadline and the system went through unhealthy
    assert answer.status == 200
    transitions = stack.call("GET", "/systems/nightly/transitions").body["items"]
    pairs = {(t["previousStatus"], t["newStatus"]) for t in transitions}
    assert {("healthy", "unhealthy"), ("unhealthy", "healthy")} <= pairs
