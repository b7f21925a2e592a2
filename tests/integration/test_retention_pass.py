"""The retention pass on moto with a fake clock: tombstones purge only what their deletion left,
retention changes are enforced (shortened: deleted; lengthened: expiry moved before TTL acts),
TTL alone handles steady state, and a pass cut into invocations ends where one pass would."""

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from local.template import Template
from shared.data import keys
from shared.data.repository import Repository
from shared.data.retention import RetentionStore
from shared.data.sweeps import SweepCheckpoints
from shared.domain.aggregates import hour_key, run_increments
from shared.domain.catalog_items import SystemItem
from shared.domain.history_items import RunItem
from shared.domain.records import TTL_SLACK_DAYS
from shared.domain.system_state import initial_state
from shared.domain.wire import format_timestamp
from shared.events import RecordingPublisher
from shared.queue import ContinuationQueue
from shared.services import retention
from shared.services.context import Collaborators
from shared.services.retention import apply_retention
from shared.services.retention_run import run_retention
from tests.fakes.seed import configuration_item
from tests.integration.api.stack import TABLE, create_resources

NOW = datetime(2030, 3, 1, 4, 0, tzinfo=UTC)
RETENTION = {"rawDays": 7, "hourlyDays": 30, "dailyDays": 365}


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class Cache:
    max_staleness_seconds = 1.0

    def __init__(self) -> None:
        self.invalidated: list[str] = []

    def invalidate(self, key: str) -> bool:
        self.invalidated.append(key)
        return True

    def invalidate_family(self) -> bool:
        return True


@pytest.fixture
def world():
    with mock_aws():
        create_resources(Template.load())
        client = boto3.client("dynamodb", region_name="us-east-1")
        repository = Repository(client, TABLE)
        c = Collaborators(
            repository=repository, cache=Cache(), publisher=RecordingPublisher(), settings=None, clock=Clock()
        )
        yield c, RetentionStore(client, TABLE), SweepCheckpoints(client, TABLE)


def settings(**retention) -> dict:
    return {
        "enabled": True,
        "includeLocal": True,
        "satelliteIds": [],
        "quorum": {"mode": "any"},
        "stateThresholds": {
            "mode": "consecutive",
            "degradedAfter": 1,
            "unhealthyAfter": 3,
            "recoverAfter": 1,
        },
        "retention": RETENTION | retention,
    }


def add_check(c, system_id: str, configuration_id: str = "web", **retention) -> None:
    repository = c.repository
    try:
        repository.get_system(system_id)
    except Exception:
        created = "2030-01-01T00:00:00.000Z"
        system = SystemItem(id=system_id, name=system_id, created_at=created, updated_at=created, version=1)
        repository.create_system(system, initial_state(system_id, created))
    try:
        repository.get_configuration(configuration_id)
    except Exception:
        repository.create_configuration(configuration_item(configuration_id, "Web"))
    repository.put_assignment(
        system_id,
        configuration_id,
        settings(**retention),
        expected_version=None,
        now=format_timestamp(c.clock()),
        now_epoch=0,
    )


def lengthen_raw_retention(c, system_id: str, days: int = 20) -> None:
    """The check's raw retention lengthened after its items were stored (the pass has work to do)."""
    c.repository.put_assignment(
        system_id,
        "web",
        settings(rawDays=days),
        expected_version=None,
        now=format_timestamp(NOW),
        now_epoch=0,
    )


def store_history(c, system_id: str, moments: list[datetime], configuration_id: str = "web") -> None:
    """Runs and their hourly aggregates, as recording leaves them (TTL attributes included)."""
    c.repository.put_runs(
        [
            RunItem.model_validate(
                {
                    "runId": f"{system_id}-{m.isoformat()}",
                    "systemId": system_id,
                    "configurationId": configuration_id,
                    "sourceId": "local",
                    "status": "healthy",
                    "latencyMs": 10,
                    "timestamp": format_timestamp(m),
                    "expiresAt": int((m + timedelta(days=7 + TTL_SLACK_DAYS)).timestamp()),
                }
            )
            for m in moments
        ]
    )
    client = c.repository._client
    for m in moments:
        increments = run_increments("healthy", 10)
        client.update_item(
            TableName=TABLE,
            Key=keys.aggregate_key("hourly", system_id, configuration_id, hour_key(m), "local"),
            UpdateExpression="ADD runCount :one SET expiresAt = :e, #s = :s, sourceId = :src",
            ExpressionAttributeNames={"#s": "start"},
            ExpressionAttributeValues={
                ":one": {"N": str(increments["runCount"])},
                ":e": {"N": str(int((m + timedelta(days=32)).timestamp()))},
                ":s": {"S": hour_key(m)},
                ":src": {"S": "local"},
            },
        )


def sort_keys(store: RetentionStore, tier: str, system_id: str, configuration_id: str = "web") -> list[str]:
    found, after = [], None
    while True:
        page = store.key_page(
            store.history_partition(tier, system_id, configuration_id), after=after, limit=1000
        )
        found += [i["sk"] for i in page.items]
        if not page.next_cursor:
            return found
        after = page.next_cursor


def hours_before(end: datetime, count: int) -> list[datetime]:
    return [end - timedelta(hours=h, minutes=30) for h in range(count)]


def test_a_system_deleted_and_recreated_keeps_its_new_history(world):
    # given: history, deletion, re-creation with the same id, new history
    c, store, checkpoints = world
    add_check(c, "shop")
    store_history(c, "shop", hours_before(NOW - timedelta(days=1), 5))
    c.repository.delete_system("shop", deleted_at=format_timestamp(NOW - timedelta(hours=12)))
    add_check(c, "shop")
    store_history(c, "shop", hours_before(NOW, 3))
    # when
    report = apply_retention(c, store, checkpoints)
    # then: only the runs before the deletion are gone; the cache of the system was invalidated
    assert report.finished
    assert len(sort_keys(store, "raw", "shop")) == 3
    assert len(sort_keys(store, "hourly", "shop")) == 3
    assert c.cache.invalidated == ["shop"]


def test_deleting_twice_purges_both_generations(world):
    # given: two generations, each deleted
    c, store, checkpoints = world
    add_check(c, "shop")
    store_history(c, "shop", hours_before(NOW - timedelta(days=2), 4))
    c.repository.delete_system("shop", deleted_at=format_timestamp(NOW - timedelta(days=1, hours=12)))
    add_check(c, "shop")
    store_history(c, "shop", hours_before(NOW - timedelta(days=1), 4))
    c.repository.delete_system("shop", deleted_at=format_timestamp(NOW - timedelta(hours=1)))
    # when
    report = apply_retention(c, store, checkpoints)
    # then: both tombstones processed, no run left behind
    assert len(report.purged) == 2
    assert sort_keys(store, "raw", "shop") == []
    assert store.tombstones(limit=10) == []


def test_an_unassigned_check_and_a_deleted_configuration_are_purged(world):
    # given
    c, store, checkpoints = world
    add_check(c, "shop", "web")
    add_check(c, "shop", "api")
    store_history(c, "shop", hours_before(NOW, 3), "web")
    store_history(c, "shop", hours_before(NOW, 3), "api")
    c.repository.delete_assignment("shop", "web", deleted_at=format_timestamp(NOW))
    c.repository.delete_configuration("api", deleted_at=format_timestamp(NOW))
    # when
    apply_retention(c, store, checkpoints)
    # then
    assert sort_keys(store, "raw", "shop", "web") == sort_keys(store, "raw", "shop", "api") == []
    assert sort_keys(store, "hourly", "shop", "web") == []


def test_a_reassigned_check_shows_none_of_its_old_history(world):
    # given: unassigned and assigned again before any retention pass
    c, _, _ = world
    add_check(c, "shop")
    store_history(c, "shop", hours_before(NOW - timedelta(hours=2), 3))
    c.repository.delete_assignment("shop", "web", deleted_at=format_timestamp(NOW - timedelta(hours=1)))
    add_check(c, "shop")
    # when
    assignment = c.repository.get_assignment("shop", "web")
    # then: its history starts at the deletion, so reads ignore what is still stored
    assert assignment.history_since == format_timestamp(NOW - timedelta(hours=1))


def test_steady_state_leaves_deleting_to_ttl(world):
    # given: history older than the raw retention but retention unchanged
    c, store, checkpoints = world
    add_check(c, "shop")
    store_history(c, "shop", hours_before(NOW - timedelta(days=8), 3))
    # when
    report = apply_retention(c, store, checkpoints)
    # then: no write spent on what TTL deletes for free
    assert report.finished and report.deleted == 0 and report.extended == 0
    assert len(sort_keys(store, "raw", "shop")) == 3


def test_a_shortened_retention_deletes_at_the_next_pass(world):
    # given: 7 days of raw runs kept, then the raw retention shortened to 2 days
    c, store, checkpoints = world
    add_check(c, "shop")
    store_history(c, "shop", hours_before(NOW, 24 * 5))
    c.repository.put_assignment(
        "shop", "web", settings(rawDays=2), expected_version=None, now=format_timestamp(NOW), now_epoch=0
    )
    # when
    apply_retention(c, store, checkpoints)
    # then
    left = sort_keys(store, "raw", "shop")
    assert len(left) == 48
    assert min(left) >= format_timestamp(NOW - timedelta(days=2))
    assert c.repository.get_assignment("shop", "web").stored_retention["rawDays"] == 2


def test_a_lengthened_retention_moves_expiry_before_ttl_acts(world):
    # given: runs stored under a 7-day raw retention, then raw retention lengthened to 30 days
    c, store, checkpoints = world
    add_check(c, "shop")
    moments = hours_before(NOW, 24 * 6)
    store_history(c, "shop", moments)
    c.repository.put_assignment(
        "shop", "web", settings(rawDays=30), expected_version=None, now=format_timestamp(NOW), now_epoch=0
    )
    # when
    report = apply_retention(c, store, checkpoints)
    # then: every run now expires 30 days (+ slack) after its time; reads know since when raw is complete
    assert report.extended == len(moments)
    runs = c.repository.list_runs(
        "shop", "web", start="", end="9", source=None, status=None, limit=1000, cursor=None
    )
    oldest = min(runs.items, key=lambda r: r.timestamp)
    assert oldest.expires_at == int((min(moments) + timedelta(days=30 + TTL_SLACK_DAYS)).timestamp())
    assignment = c.repository.get_assignment("shop", "web")
    assert assignment.stored_retention["rawDays"] == 30
    assert assignment.history_floors["raw"] == format_timestamp(NOW - timedelta(days=7))


def test_a_pass_cut_into_many_invocations_ends_as_one_pass(world, monkeypatch):
    # given: three deleted systems and a lengthened retention, pages of 10 keys, an invocation
    # that has time for 3 steps each
    c, store, checkpoints = world
    monkeypatch.setattr(retention, "KEYS_PER_PAGE", 10)
    monkeypatch.setattr(retention, "ASSIGNMENTS_PER_PAGE", 1)
    for system_id in ("a", "b", "c"):
        add_check(c, system_id)
        store_history(c, system_id, hours_before(NOW, 25))
        c.repository.delete_system(system_id, deleted_at=format_timestamp(NOW))
    for system_id in ("d", "e"):
        add_check(c, system_id)
        store_history(c, system_id, hours_before(NOW, 25))
        lengthen_raw_retention(c, system_id)
    invocations = 0
    finished = False
    while not finished:
        invocations += 1
        steps = iter(range(3))
        report = apply_retention(
            c,
            store,
            checkpoints,
            time_left=lambda steps=steps: 1000.0 if next(steps, None) is not None else 0.0,
        )
        finished = report.finished
        assert invocations < 100
    # then: the work spread over invocations and all of it was done, once
    assert invocations > 5
    for system_id in ("a", "b", "c"):
        assert sort_keys(store, "raw", system_id) == []
    for system_id in ("d", "e"):
        assert c.repository.get_assignment(system_id, "web").stored_retention["rawDays"] == 20
    # and a further invocation the same day has nothing to do
    assert apply_retention(c, store, checkpoints).assignments == 0


def test_an_invocation_short_of_time_sends_one_continuation_and_the_queue_drives_the_pass_to_its_end(world):
    # given five systems with a lengthened retention, one page of assignments an invocation
    c, store, checkpoints = world
    for system_id in "vwxyz":
        add_check(c, system_id)
        lengthen_raw_retention(c, system_id)
    sqs = boto3.client("sqs", region_name="us-east-1")
    queue_url = sqs.create_queue(QueueName="retention-continuation")["QueueUrl"]
    queue = ContinuationQueue(sqs, queue_url)

    def invoke():
        steps = iter(range(2))
        return run_retention(
            c,
            store,
            checkpoints,
            queue,
            time_left=lambda: 1000.0 if next(steps, None) is not None else 0.0,
            parallel_map=lambda f, items: [f(i) for i in items],
        )

    # when the function is invoked once, then once for each message the queue holds
    outcomes = [invoke()]
    messages = []
    while received := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages"):
        assert len(received) == 1
        messages.append(json.loads(received[0]["Body"]))
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=received[0]["ReceiptHandle"])
        outcomes.append(invoke())
        assert len(outcomes) < 20
    # then each unfinished invocation sent exactly one message (the pass, then the day summaries),
    # and the last finished both
    passes = sum(1 for outcome in outcomes if not outcome.retention.finished)
    assert passes > 2
    assert [m["continue"] for m in messages] == ["retention"] * passes + ["availability-days"] * (
        len(outcomes) - 1 - passes
    )
    assert outcomes[-1].retention.finished and outcomes[-1].summaries.finished
    assert not outcomes[-1].continued
    for system_id in "vwxyz":
        assert c.repository.get_assignment(system_id, "web").stored_retention["rawDays"] == 20
