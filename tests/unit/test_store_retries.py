"""The table's retry loops are bounded and back off; store failures become domain errors in one place."""

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from shared.data import keys
from shared.data.base import TableBase
from shared.domain.errors import ThrottledError, UnavailableError
from shared.retry import RetryPolicy


class ThrottlingClient:
    """A DynamoDB client that hands back every batch as unprocessed for its first `throttled` calls."""

    def __init__(self, throttled: int):
        self.throttled = throttled
        self.calls = 0

    def batch_get_item(self, RequestItems):
        self.calls += 1
        if self.calls <= self.throttled:
            return {"Responses": {"t": []}, "UnprocessedKeys": RequestItems}
        found = [key | {"id": {"S": key["pk"]["S"]}} for key in RequestItems["t"]["Keys"]]
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


def table(client, pauses: list[float]) -> TableBase:
    policy = RetryPolicy(attempts=5, base_seconds=0.05, cap_seconds=1, sleep=pauses.append)
    return TableBase(client, "t", unprocessed=policy, conflicts=policy)


def test_unprocessed_keys_are_retried_with_growing_pauses_until_read():
    # given
    pauses: list[float] = []
    client = ThrottlingClient(throttled=3)
    # when
    found = table(client, pauses)._batch_get([keys.system_key("a"), keys.system_key("b")])
    # then
    assert sorted(item["pk"] for item in found) == ["SYSTEM#a", "SYSTEM#b"]
    assert client.calls == 4
    assert len(pauses) == 3


def test_keys_never_processed_end_in_throttled_after_the_bound():
    # given
    pauses: list[float] = []
    client = ThrottlingClient(throttled=10_000)
    # when / then
    with pytest.raises(ThrottledError) as raised:
        table(client, pauses)._batch_get([keys.system_key("a")])
    assert client.calls == 5
    assert len(pauses) == 4
    assert raised.value.retry_after_seconds >= 1


def test_items_never_written_end_in_throttled_after_the_bound():
    # given
    pauses: list[float] = []
    client = ThrottlingClient(throttled=10_000)
    # when / then
    with pytest.raises(ThrottledError):
        table(client, pauses)._batch_write(deletes=[keys.system_key("a")])
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
        store._get(keys.system_key("a"))
    with pytest.raises(UnavailableError):
        store._update(keys.satellite_key("s"), "SET lastSeenAt = :x", values={":x": "now"})


def test_throttled_updates_are_translated_like_every_other_call():
    # given
    throttled = ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "UpdateItem")
    store = table(FailingClient(throttled), [])
    # when / then
    with pytest.raises(ThrottledError):
        store._update(keys.satellite_key("s"), "SET lastSeenAt = :x", condition="attribute_exists(pk)")
