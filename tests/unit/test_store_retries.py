"""The table's retry loops are bounded and back off; store failures become domain errors in one place.

Driven through the repository's public methods (`get_configurations` is one BatchGetItem,
`delete_outbox` one BatchWriteItem, `get_system` one GetItem, `touch_satellite` one UpdateItem)."""

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from shared.data.repository import Repository
from shared.data.table import serialize
from shared.domain.errors import ThrottledError, UnavailableError
from shared.domain.records import OutboxEntry
from shared.retry import RetryPolicy
from tests.fakes.seed import configuration_item


class ThrottlingClient:
    """A DynamoDB client that hands back every batch as unprocessed for its first `throttled` calls."""

    def __init__(self, throttled: int):
        self.throttled = throttled
        self.calls = 0

    def batch_get_item(self, RequestItems):
        self.calls += 1
        if self.calls <= self.throttled:
            return {"Responses": {"t": []}, "UnprocessedKeys": RequestItems}
        found = [
            key | serialize(configuration_item(key["pk"]["S"].split("#", 1)[1]).to_item())
            for key in RequestItems["t"]["Keys"]
        ]
        return {"Responses": {"t": found}}

    def batch_write_item(self, RequestItems):
        self.calls += 1
        if self.calls <= self.throttled:
            return {"UnprocessedItems": RequestItems}
        return {}


class FailingClient:
    def __init__(self, error: Exception):
        self.error = error

    def update_item(self, **_):
        raise self.error

    def get_item(self, **_):
        raise self.error


def table(client, pauses: list[float]) -> Repository:
    policy = RetryPolicy(attempts=5, base_seconds=0.05, cap_seconds=1, sleep=pauses.append)
    return Repository(client, "t", unprocessed=policy, conflicts=policy)


def outbox_entry() -> OutboxEntry:
    return OutboxEntry("a", "e1", "api", [], "2030-01-01T00:00:00.000Z", expires_at=0)


def test_unprocessed_keys_are_retried_with_growing_pauses_until_read():
    # given
    pauses: list[float] = []
    client = ThrottlingClient(throttled=3)
    # when
    found = table(client, pauses).get_configurations(["a", "b"])
    # then
    assert sorted(found) == ["a", "b"]
    assert client.calls == 4
    assert len(pauses) == 3


def test_keys_never_processed_end_in_throttled_after_the_bound():
    # given
    pauses: list[float] = []
    client = ThrottlingClient(throttled=10_000)
    # when / then
    with pytest.raises(ThrottledError) as raised:
        table(client, pauses).get_configurations(["a"])
    assert client.calls == 5
    assert len(pauses) == 4
    assert raised.value.retry_after_seconds >= 1


def test_items_never_written_end_in_throttled_after_the_bound():
    # given
    pauses: list[float] = []
    client = ThrottlingClient(throttled=10_000)
    # when / then
    with pytest.raises(ThrottledError):
        table(client, pauses).delete_outbox([outbox_entry()])
    assert client.calls == 5


@pytest.mark.parametrize(
    "error",
    [
        EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
        ReadTimeoutError(endpoint_url="http://127.0.0.1:1"),
    ],
)
def test_connection_failures_are_unavailable(error):
    # given
    store = table(FailingClient(error), [])
    # when / then
    with pytest.raises(UnavailableError):
        store.get_system("a")
    with pytest.raises(UnavailableError):
        store.touch_satellite("s", "2030-01-01T00:00:00.000Z")


def test_throttled_updates_are_translated_like_every_other_call():
    # given
    throttled = ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "UpdateItem")
    store = table(FailingClient(throttled), [])
    # when / then
    with pytest.raises(ThrottledError):
        store.touch_satellite("s", "2030-01-01T00:00:00.000Z")
