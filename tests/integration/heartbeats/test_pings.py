"""Pings: success, start then finish (its duration is the run's latency), failure and exit codes,
the body kept (10 KB), unknown tokens, the token shown once, the rate limit per token."""

from __future__ import annotations

from shared.services import heartbeats
from tests.integration.api.stack import store_items
from tests.integration.heartbeats.conftest import IMMEDIATE, health, heartbeat_check, ping


def runs(stack) -> list[dict]:
    return stack.call("GET", "/systems/nightly/checks/nightly-beat/runs").body["items"]


def test_start_then_success_records_the_duration_as_latency(stack, clock):
    # given
    token = heartbeat_check(stack)
    # when
    assert ping(stack, token, "start").body["recorded"] == "started"
    clock.advance(20)
    ping(stack, token, method="GET")
    # then
    [run] = runs(stack)
    assert run["status"] == "healthy"
    assert run["latencyMs"] == 20000


def test_a_start_without_a_finish_within_grace_is_unhealthy(stack, clock):
    # given
    token = heartbeat_check(stack)
    # when the job starts and finishes after grace (30 s)
    ping(stack, token, "start")
    clock.advance(42)
    ping(stack, token)
    # then the unfinished start is an unhealthy run at its deadline, the finish a healthy one
    recorded = sorted(runs(stack), key=lambda r: r["timestamp"])
    assert [(r["status"], (r["error"] or {}).get("code")) for r in recorded] == [
        ("unhealthy", "HEARTBEAT_NOT_FINISHED"),
        ("healthy", None),
    ]


def test_fail_and_a_non_zero_exit_code_are_unhealthy_and_zero_is_healthy(stack, clock):
    # given
    token = heartbeat_check(stack)
    # when
    for suffix in ("fail", "3", "0"):
        ping(stack, token, suffix)
        clock.advance(5)
    # then
    assert [r["status"] for r in sorted(runs(stack), key=lambda r: r["timestamp"])] == [
        "unhealthy",
        "unhealthy",
        "healthy",
    ]
    assert health(stack) == "healthy"


def test_the_body_is_kept_up_to_ten_kilobytes(stack, clock):
    # given
    token = heartbeat_check(stack)
    # when
    ping(stack, token, body=b"x" * 20_000)
    # then
    assert len(runs(stack)[0]["result"]["body"]) == 10 * 1024


def test_an_unknown_token_or_suffix_is_404_and_stores_nothing(stack, clock):
    # given
    token = heartbeat_check(stack)
    before = store_items()
    # when / then
    assert ping(stack, "hb_not-a-token").status == 404
    assert ping(stack, token, "launch").status == 404
    assert store_items() == before


def test_a_new_token_replaces_the_old_one_and_only_its_hash_is_stored(stack, clock):
    # given
    old = heartbeat_check(stack)
    # when
    new = stack.call("POST", "/systems/nightly/checks/nightly-beat/ping-token").body["token"]
    # then
    assert ping(stack, old).status == 404
    assert ping(stack, new).status == 200
    assert not any(new in str(item) or old in str(item) for item in store_items())


def test_a_token_is_throttled_past_its_pings_per_minute(stack, clock, monkeypatch):
    # given
    monkeypatch.setattr(heartbeats, "PINGS_PER_MINUTE", 2)
    token = heartbeat_check(stack)
    # when
    answers = [ping(stack, token).status for _ in range(3)]
    # then
    assert answers == [200, 200, 429]


def test_a_binary_body_is_kept_with_replacement_characters(stack, clock):
    # given
    token = heartbeat_check(stack)
    # when
    answer = ping(stack, token, body=b"exit \xff\xfe done", method="POST")
    # then
    assert answer.status == 200
    assert runs(stack)[0]["result"]["body"] == "exit \ufffd\ufffd done"


def ping_items() -> list[dict]:
    return [i for i in store_items() if i["pk"]["S"].startswith("PING#") or "HEARTBEAT#" in i["sk"]["S"]]


def test_unassigning_a_heartbeat_deletes_its_token_for_good(stack, clock):
    # given a pinged heartbeat
    token = heartbeat_check(stack)
    assert ping(stack, token).status == 200
    # when it is unassigned, then assigned again
    assert stack.call("DELETE", "/systems/nightly/checks/nightly-beat").status == 204
    assert ping_items() == []
    stack.call("PUT", "/systems/nightly/checks/nightly-beat", {"stateThresholds": IMMEDIATE})
    # then the old token stays dead
    assert ping(stack, token).status == 404


def test_deleting_the_configuration_or_the_system_deletes_the_token(stack, clock):
    # given two pinged heartbeats
    first = heartbeat_check(stack, system_id="first")
    second = heartbeat_check(stack, system_id="second")
    ping(stack, first)
    ping(stack, second)
    # when one configuration and the other system are deleted
    assert stack.call("DELETE", "/configurations/first-beat").status == 204
    assert stack.call("DELETE", "/systems/second").status == 204
    # then no token nor heartbeat state is left, and neither token answers
    assert ping_items() == []
    assert ping(stack, first).status == 404
    assert ping(stack, second).status == 404
