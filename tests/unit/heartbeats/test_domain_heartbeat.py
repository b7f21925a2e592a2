"""When a heartbeat is due: periods, cron in a time zone, starts, misses; pings and tokens."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.domain import heartbeat as hb
from shared.domain.errors import ValidationFailedError
from shared.strategies import validate_config
from shared.strategies.heartbeat_check import heartbeat_schedule


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def test_a_period_deadline_is_the_next_ping_plus_grace_and_a_miss_moves_it_one_period():
    # given
    schedule = hb.HeartbeatSchedule(grace_seconds=30, period_seconds=60)
    # when
    deadline = hb.deadline_after_ping(schedule, 1000)
    # then
    assert deadline == 1090
    assert hb.deadline_after_miss(schedule, deadline) == 1150
    assert hb.deadline_after_start(schedule, 1000) == 1030


def test_a_cron_deadline_follows_the_time_zone_across_a_daylight_saving_change():
    # given a job at 02:30 Paris time every day, pinged the evening before the clocks go back
    schedule = hb.HeartbeatSchedule(grace_seconds=600, cron="30 2 * * *", time_zone="Europe/Paris")
    pinged = epoch("2026-10-24T20:00:00+00:00")
    # when
    deadline = hb.deadline_after_ping(schedule, pinged)
    following = hb.deadline_after_miss(schedule, deadline)
    # then 02:30 CEST is 00:30 UTC; the next 02:30 (CET) is 01:30 UTC
    assert datetime.fromtimestamp(deadline, UTC).isoformat() == "2026-10-25T00:40:00+00:00"
    assert datetime.fromtimestamp(following, UTC).isoformat() == "2026-10-26T01:40:00+00:00"


@pytest.mark.parametrize(
    ("suffix", "kind", "healthy"),
    [
        (None, "success", True),
        ("start", "start", False),
        ("fail", "fail", False),
        ("0", "exit", True),
        ("3", "exit", False),
    ],
)
def test_a_ping_suffix_says_what_happened(suffix, kind, healthy):
    ping = hb.parse_ping(suffix)
    assert (ping.kind, ping.healthy) == (kind, healthy)


@pytest.mark.parametrize("suffix", ["256", "-1", "launch", "start2"])
def test_other_suffixes_are_no_ping(suffix):
    assert hb.parse_ping(suffix) is None


def test_a_missed_deadline_has_one_run_id_and_tokens_are_random_and_hashed():
    # given / when
    first, second = hb.new_ping_token(), hb.new_ping_token()
    # then
    assert (
        hb.deadline_run_id("a", "b", 10)
        == hb.deadline_run_id("a", "b", 10)
        != hb.deadline_run_id("a", "b", 11)
    )
    assert first != second and first.startswith("hb_")
    assert len(hb.hash_ping_token(first)) == 64 and first not in hb.hash_ping_token(first)


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"periodSeconds": 60, "cron": "* * * * *"},
        {"cron": "not a cron"},
        {"periodSeconds": 60, "timeZone": "Mars/Olympus"},
        {"periodSeconds": 5},
    ],
)
def test_a_heartbeat_config_needs_exactly_one_valid_schedule(config):
    with pytest.raises(ValidationFailedError):
        validate_config("heartbeat", config, allow_private_targets=False)


def test_a_stored_config_gives_its_schedule():
    stored = validate_config(
        "heartbeat",
        {"cron": "0 3 * * *", "timeZone": "Asia/Tokyo", "graceSeconds": 900},
        allow_private_targets=False,
    )
    assert heartbeat_schedule(stored) == hb.HeartbeatSchedule(900, None, "0 3 * * *", "Asia/Tokyo")
