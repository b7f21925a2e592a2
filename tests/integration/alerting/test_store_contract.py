"""One contract for both alerting stores: the DynamoDB one on moto (tables from template.yaml) and
the in-memory fake the unit tests use."""

import boto3
import pytest
from moto import mock_aws

from shared.data.alerting import AlertingStore, StaleWriteError
from shared.domain.errors import ConflictError, NotFoundError, VersionMismatchError
from tests.integration.tables import healthcheck_table_definition
from tests.unit.alerting.fakes import MemoryAlertingStore

TABLE = "alerting-contract"


@pytest.fixture(params=["dynamodb", "memory"])
def store(request):
    if request.param == "memory":
        yield MemoryAlertingStore()
        return
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(TableName=TABLE, **healthcheck_table_definition())
        yield AlertingStore(client, TABLE)


def channel(channel_id: str, version: int = 1) -> dict:
    return {
        "id": channel_id,
        "name": channel_id,
        "type": "webhook",
        "config": {"url": "https://x.example"},
        "version": version,
    }


def incident(incident_id: str, opened_at: str, version: int = 1) -> dict:
    return {
        "id": incident_id,
        "systemId": "web",
        "status": "pending",
        "openedAt": opened_at,
        "stepsDone": [],
        "version": version,
    }


def test_resources_are_created_once_read_replaced_by_version_and_deleted(store):
    # given
    store.create_resource("channel", channel("a"))
    # when / then
    with pytest.raises(ConflictError):
        store.create_resource("channel", channel("a"))
    store.replace_resource("channel", channel("a", 2) | {"name": "renamed"}, expected_version=1)
    with pytest.raises(VersionMismatchError):
        store.replace_resource("channel", channel("a", 3), expected_version=1)
    assert store.get_resource("channel", "a")["name"] == "renamed"
    assert set(store.get_channels(["a", "gone"])) == {"a"}
    store.delete_resource("channel", "a")
    with pytest.raises(NotFoundError):
        store.get_resource("channel", "a")
    with pytest.raises(NotFoundError):
        store.delete_resource("channel", "a")


def test_resources_are_listed_by_kind_in_pages(store):
    # given
    for n in range(5):
        store.create_resource("channel", channel(f"c{n}"))
    store.create_resource("alertPolicy", {"id": "p", "channelIds": ["c0"], "version": 1})
    # when
    first = store.list_resources("channel", limit=3, cursor=None)
    second = store.list_resources("channel", limit=3, cursor=first.next_cursor)
    # then
    assert [c["id"] for c in first.items + second.items] == [f"c{n}" for n in range(5)]
    assert [p["id"] for p in store.all_resources("alertPolicy")] == ["p"]


def test_state_and_incident_are_written_together_and_only_from_the_version_read(store):
    # given
    state = {"systemId": "web", "version": 1, "incidentId": "i1"}
    store.save_alerting(
        state=state,
        incident=incident("i1", "2026-01-05T12:00:00.000Z"),
        timeline=[{"incidentId": "i1", "at": "2026-01-05T12:00:00.000Z", "kind": "opened", "message": "m"}],
    )
    # when: a writer that read version 1 of the state wins, one that read nothing loses
    store.save_alerting(state=state | {"version": 2}, incident=incident("i1", "2026-01-05T12:00:00.000Z", 2))
    with pytest.raises(StaleWriteError):
        store.save_alerting(state=state, incident=incident("i2", "2026-01-05T12:01:00.000Z"))
    with pytest.raises(StaleWriteError):
        store.save_alerting(incident=incident("i1", "2026-01-05T12:00:00.000Z", 2))
    # then: nothing of the losing writes landed
    assert store.get_alert_state("web")["version"] == 2
    assert store.get_incident("i2") is None
    assert store.get_incident("i1")["version"] == 2
    assert [e["kind"] for e in store.timeline("i1")] == ["opened"]


def test_incidents_are_listed_newest_first(store):
    # given
    for n, at in enumerate(
        ["2026-01-05T12:00:00.000Z", "2026-01-05T14:00:00.000Z", "2026-01-05T13:00:00.000Z"]
    ):
        store.save_alerting(incident=incident(f"i{n}", at))
    # when
    page = store.list_incidents(limit=10, cursor=None)
    # then
    assert [i["id"] for i in page.items] == ["i1", "i2", "i0"]


def test_deliveries_are_kept_per_step_and_channel(store):
    # given
    store.save_alerting(incident=incident("i1", "2026-01-05T12:00:00.000Z"))
    store.put_delivery(
        {"incidentId": "i1", "step": "p:open", "channelId": "a", "status": "pending", "attempts": [1]}
    )
    store.put_delivery(
        {"incidentId": "i1", "step": "p:open", "channelId": "a", "status": "sent", "attempts": [1, 2]}
    )
    store.put_delivery(
        {"incidentId": "i1", "step": "p:open", "channelId": "b", "status": "sent", "attempts": [1]}
    )
    # then
    assert store.get_delivery("i1", "p:open", "a")["status"] == "sent"
    assert store.get_delivery("i1", "p:remind:1", "a") is None
    assert [(d["channelId"], d["attempts"]) for d in store.deliveries("i1")] == [("a", [1, 2]), ("b", [1])]
    assert store.timeline("i1") == []
