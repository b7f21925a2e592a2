"""The scheduler: checks planned from their shard, a minute at a time, each slot sent once, spread
inside the minute; a new or changed schedule first runs a minute after the change."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3

from shared.data import keys
from shared.domain.schedule import scheduled_run_id
from shared.domain.wire import format_timestamp
from shared.services.context import default_collaborators
from shared.services.scheduling import enqueue_due
from tests.integration.pipeline.conftest import drain_queue, http_check


class FakeClock:
    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, seconds: int) -> None:
        self.moment += timedelta(seconds=seconds)


def queued(stack) -> int:
    """Messages in the queue, delayed ones (spread inside the minute) included."""
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=stack.queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesDelayed"]
    )


def tick(stack) -> int:
    return stack.invoke("SchedulerFunction", {"source": "aws.scheduler", "detail-type": "Scheduled Event"})[
        "enqueued"
    ]


def given_clock() -> FakeClock:
    clock = FakeClock(datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC))
    default_collaborators().clock = clock
    return clock


def test_nothing_due_enqueues_nothing(stack):
    # given / when / then
    assert tick(stack) == 0
    assert queued(stack) == 0


def test_a_new_check_runs_at_the_next_tick_and_a_second_tick_in_the_same_minute_adds_nothing(stack, target):
    # given a check created a second before the tick
    clock = given_clock()
    http_check(stack, target)
    clock.advance(1)
    # when
    first, second = tick(stack), tick(stack)
    # then
    assert (first, second) == (1, 0)
    assert queued(stack) == 1


def test_sub_minute_intervals_are_spread_inside_the_minute(stack, target):
    # given
    clock = given_clock()
    http_check(stack, target)
    stack.call("PATCH", "/configurations/web", {"intervalSeconds": 15})
    tick(stack)
    # when: the next minute
    clock.advance(60)
    enqueued = tick(stack)
    # then: the first run of the new interval, then its three 15 s slots; the shard is planned to
    # the minute's end
    assert enqueued == 4
    repository = default_collaborators().repository
    shard = keys.due_shard("shop", "web")
    assert repository.schedule_checkpoint(shard) == int(clock.moment.timestamp()) + 60


def test_paused_disabled_and_satellite_only_checks_are_not_enqueued(stack, target):
    # given
    given_clock()
    http_check(stack, target, system_id="a", configuration_id="paused")
    stack.call("POST", "/configurations/paused/pause")
    http_check(stack, target, system_id="b", configuration_id="disabled")
    stack.call("PUT", "/systems/b/checks/disabled", {"enabled": False})
    http_check(stack, target, system_id="c", configuration_id="remote")
    stack.call("POST", "/satellites", {"id": "eu", "name": "EU"})
    stack.call("PUT", "/systems/c/checks/remote", {"includeLocal": False, "satelliteIds": ["eu"]})
    # when
    enqueued = tick(stack)
    # then
    assert enqueued == 0
    assert queued(stack) == 0


def test_resuming_a_paused_check_takes_effect_at_the_next_tick(stack, target):
    # given
    clock = given_clock()
    http_check(stack, target)
    stack.call("POST", "/configurations/web/pause")
    assert tick(stack) == 0
    # when
    stack.call("POST", "/configurations/web/resume")
    clock.advance(60)
    # then
    assert tick(stack) == 1


def test_shortening_an_interval_takes_effect_at_the_next_tick(stack, target):
    # given: an hourly check that just ran (its first run, a minute after it was made hourly)
    clock = given_clock()
    http_check(stack, target)
    stack.call("PATCH", "/configurations/web", {"intervalSeconds": 3600})
    assert tick(stack) == 0
    clock.advance(60)
    assert tick(stack) == 1
    clock.advance(60)
    assert tick(stack) == 0
    # when
    stack.call("PATCH", "/configurations/web", {"intervalSeconds": 30})
    clock.advance(60)
    # then
    assert tick(stack) == 2


def test_two_schedulers_in_the_same_minute_enqueue_each_run_once(stack, target):
    # given
    clock = given_clock()
    for n in range(5):
        http_check(stack, target, system_id=f"s{n}", configuration_id=f"c{n}")
    clock.advance(1)
    # when
    reports = [enqueue_due(default_collaborators()), enqueue_due(default_collaborators())]
    # then
    assert [r.enqueued for r in reports] == [5, 0]
    assert queued(stack) == 5


def test_a_silent_satellite_turns_its_slice_unknown_with_one_event_per_system(stack, target):
    # given: a check that only a satellite runs, reported unhealthy
    clock = given_clock()
    http_check(stack, target)
    created = stack.call("POST", "/satellites", {"id": "eu", "name": "EU", "region": "eu-west-1"}).body
    stack.call("PUT", "/systems/shop/checks/web", {"includeLocal": False, "satelliteIds": ["eu"]})
    posted = stack.call(
        "POST",
        "/satellite/results",
        {
            "results": [
                {
                    "resultId": "r1",
                    "systemId": "shop",
                    "configurationId": "web",
                    "status": "unhealthy",
                    "executedAt": clock.moment.isoformat(),
                }
            ]
        },
        key=created["token"],
    )
    assert posted.body["accepted"] == ["r1"], posted.body
    assert stack.call("GET", "/systems/shop/health").body["status"] != "unknown"
    # when: three heartbeat intervals of silence, then two ticks
    clock.advance(91)
    first = stack.invoke("SatelliteSweepFunction", {})
    second = stack.invoke("SatelliteSweepFunction", {})
    # then
    assert first["reevaluatedSystems"] == ["shop"] and second["reevaluatedSystems"] == []
    view = stack.call("GET", "/systems/shop/health").body
    assert view["status"] == "unknown"
    assert view["checks"][0]["sources"][0]["status"] == "unknown"
    changes = [e for e in stack.published.of_type("System Health Changed") if e["newStatus"] == "unknown"]
    assert len(changes) == 1


def test_a_scheduled_run_sent_twice_is_recorded_once_under_the_id_of_its_slot(stack, target):
    # given a check whose tick sent its run, then died before moving its shard's checkpoint
    clock = given_clock()
    http_check(stack, target)
    clock.advance(60)
    tick(stack)
    (first,) = stack.queued()
    boto3.client("sqs").send_message(QueueUrl=stack.queue_url, MessageBody=json.dumps(_body_of(first)))
    # when the executor receives both messages (two message ids, one run id)
    drain_queue(stack)
    # then the run is recorded once, under the id named after its slot (its first run, a minute
    # after it was assigned), filed under that slot
    assert len(stack.published.of_type("Health Check Run Completed")) == 1
    assert first["slot"] == int(clock.moment.timestamp())
    run_id = scheduled_run_id("shop", "web", first["slot"])
    assert first["runId"] == run_id
    runs = default_collaborators().repository.list_runs(
        "shop", "web", start="", end="9999", source=None, status=None, limit=10, cursor=None
    )
    assert [r.run_id for r in runs.items] == [run_id]
    slot = format_timestamp(datetime.fromtimestamp(first["slot"], UTC))
    assert (runs.items[0].filed_at or runs.items[0].timestamp) == slot
    assert default_collaborators().repository.known_run_ids(runs.items) == {run_id}


def _body_of(message: dict) -> dict:
    return {k: v for k, v in message.items() if not k.startswith("_")}
