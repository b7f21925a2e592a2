"""Service rules of heartbeat checks on the in-memory store: tokens, late pings, deadline checks."""

from datetime import timedelta
from types import SimpleNamespace

import pytest

from shared.domain import heartbeat as hb
from shared.domain.assignment_models import AssignmentPut
from shared.domain.errors import NotFoundError, ValidationFailedError
from shared.domain.models import ConfigurationCreate, SystemCreate
from shared.services import assignments, catalog, configurations, heartbeats
from tests.fakes.collaborators import fake_collaborators

PERIOD, GRACE = 600, 60


@pytest.fixture
def c():
    c = fake_collaborators(
        settings=SimpleNamespace(allow_private_targets=True, due_shards=64, run_events=True)
    )
    catalog.create_system(c, SystemCreate(id="shop", name="Shop"))
    for configuration_id, strategy_id, config in (
        ("nightly", hb.HEARTBEAT_STRATEGY_ID, {"periodSeconds": PERIOD, "graceSeconds": GRACE}),
        ("web", "http", {"url": "https://example.com/"}),
    ):
        configurations.create_configuration(
            c,
            ConfigurationCreate(
                id=configuration_id,
                name=configuration_id,
                strategy_id=strategy_id,
                config=config,
                interval_seconds=60,
            ),
        )
        assignments.put_assignment(c, "shop", configuration_id, AssignmentPut(), expected_version=None)
    return c


def runs(c) -> list[tuple[str, str]]:
    return [(run["status"], run["result"]["kind"]) for run in c.repository.runs.values()]


def test_only_a_heartbeat_check_takes_a_ping_token(c):
    with pytest.raises(ValidationFailedError):
        heartbeats.issue_ping_token(c, "shop", "web")


def test_a_new_token_makes_the_previous_one_unknown(c):
    # given
    old = heartbeats.issue_ping_token(c, "shop", "nightly")["token"]
    # when
    new = heartbeats.issue_ping_token(c, "shop", "nightly")["token"]
    # then
    with pytest.raises(NotFoundError):
        heartbeats.receive_ping(c, old, hb.Ping("success"), b"")
    assert heartbeats.receive_ping(c, new, hb.Ping("success"), b"")["recorded"] == "recorded"


def test_a_late_ping_records_the_missed_deadline_before_its_own_run(c):
    # given
    token = heartbeats.issue_ping_token(c, "shop", "nightly")["token"]
    heartbeats.receive_ping(c, token, hb.Ping("success"), b"")
    # when: the next ping comes after the deadline
    c.clock.now += timedelta(seconds=PERIOD + GRACE + 1)
    heartbeats.receive_ping(c, token, hb.Ping("success"), b"done")
    # then
    assert runs(c) == [("healthy", "success"), ("unhealthy", "missed"), ("healthy", "success")]


def test_a_deadline_a_ping_moved_is_dropped_and_put_back_in_the_due_index(c):
    # given
    token = heartbeats.issue_ping_token(c, "shop", "nightly")["token"]
    heartbeats.receive_ping(c, token, hb.Ping("success"), b"")
    first = c.repository.get_heartbeat("shop", "nightly").deadline
    c.clock.now += timedelta(seconds=PERIOD)
    heartbeats.receive_ping(c, token, hb.Ping("success"), b"")
    standing = c.repository.get_heartbeat("shop", "nightly").deadline
    # when: the check of the first deadline arrives after it passed
    c.clock.now += timedelta(seconds=GRACE + 1)
    outcome = heartbeats.check_deadline(c, "shop", "nightly", first)
    # then
    assert outcome.outcome == "dropped"
    assert runs(c) == [("healthy", "success"), ("healthy", "success")]
    (assignment,) = c.repository.get_assignments([("shop", "nightly")])
    assert assignment.next_due_at == standing


def test_a_standing_deadline_records_one_missed_run_and_moves_on(c):
    # given
    token = heartbeats.issue_ping_token(c, "shop", "nightly")["token"]
    heartbeats.receive_ping(c, token, hb.Ping("success"), b"")
    deadline = c.repository.get_heartbeat("shop", "nightly").deadline
    c.clock.now += timedelta(seconds=PERIOD + GRACE + 1)
    # when: the check is delivered twice
    heartbeats.check_deadline(c, "shop", "nightly", deadline)
    heartbeats.check_deadline(c, "shop", "nightly", deadline)
    # then
    assert runs(c) == [("healthy", "success"), ("unhealthy", "missed")]
    assert c.repository.get_heartbeat("shop", "nightly").deadline == deadline + PERIOD
