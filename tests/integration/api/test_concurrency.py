"""Two PATCHes racing on one resource, with the interleaving forced rather than hoped for.

Each request runs through the real handler as if on its own Lambda execution environment, against
the same moto store. Both requests do all their reads and reach their first write before either
writes (a Barrier in front of the store's write); then the first writes and answers, then the second
writes. Powertools keeps the current event on the resolver class, so handler work outside the store
is kept from overlapping.
"""

import threading

import pytest

from shared import aws
from tests.integration.api.stack import add_configuration, add_system

WAIT = 10


class Interleaving:
    """Both requests read, then `first` writes and answers, then `second` writes."""

    def __init__(self):
        self.both_about_to_write = threading.Barrier(2, timeout=WAIT)
        self.first_about_to_write = threading.Event()
        self.first_answered = threading.Event()
        self.store_lock = threading.Lock()  # DynamoDB applies conditional writes to an item one at a time
        self.writes = {"first": 0, "second": 0}
        self._state = threading.local()
        # botocore's own call hooks on the one DynamoDB client: nothing of the repository is patched.
        client = aws.dynamodb()
        client.meta.events.register(
            "before-call.dynamodb.TransactWriteItems", self._before_write, unique_id="interleave-before"
        )
        client.meta.events.register(
            "after-call.dynamodb.TransactWriteItems", self._after_write, unique_id="interleave-after"
        )

    def stop(self):
        """Let writes through unhindered again."""
        events = aws.dynamodb().meta.events
        events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="interleave-before")
        events.unregister("after-call.dynamodb.TransactWriteItems", unique_id="interleave-after")

    def _before_write(self, **_):
        role = self._state.role
        if self.writes[role] == 0:
            if role == "first":
                self.first_about_to_write.set()
            self.both_about_to_write.wait()
            if role == "second":
                assert self.first_answered.wait(WAIT), "the first request never answered"
        self.writes[role] += 1
        self.store_lock.acquire()

    def _after_write(self, **_):
        self.store_lock.release()

    def run(self, first, second):
        answers = {}

        def request(role, call):
            self._state.role = role
            try:
                answers[role] = call()
            finally:
                if role == "first":
                    self.first_answered.set()

        threads = [threading.Thread(target=request, args=("first", first))]
        threads[0].start()
        assert self.first_about_to_write.wait(WAIT), "the first request never reached its write"
        threads.append(threading.Thread(target=request, args=("second", second)))
        threads[1].start()
        for thread in threads:
            thread.join(WAIT)
        assert not any(t.is_alive() for t in threads)
        return answers["first"], answers["second"]


def patch(stack, path, body, **headers):
    return lambda: stack.call("PATCH", path, body, headers=headers, own_environment=True)


def test_concurrent_system_patches_without_if_match_both_land(stack):
    # given
    add_system(stack, "shop")
    race = Interleaving()
    # when
    first, second = race.run(
        patch(stack, "/systems/shop", {"name": "Renamed"}),
        patch(stack, "/systems/shop", {"description": "described"}),
    )
    # then
    assert (first.status, second.status) == (200, 200), (first.body, second.body)
    assert race.writes == {"first": 1, "second": 2}  # the second saw a stale version and tried again
    race.stop()
    stored = stack.call("GET", "/systems/shop").body
    assert (stored["name"], stored["description"], stored["version"]) == ("Renamed", "described", 3)


def test_concurrent_configuration_patches_without_if_match_both_land(stack):
    # given
    add_configuration(stack, "web")
    race = Interleaving()
    # when
    first, second = race.run(
        patch(stack, "/configurations/web", {"name": "Website"}),
        patch(stack, "/configurations/web", {"intervalSeconds": 300}),
    )
    # then
    assert (first.status, second.status) == (200, 200), (first.body, second.body)
    assert race.writes == {"first": 1, "second": 2}
    race.stop()
    stored = stack.call("GET", "/configurations/web").body
    assert (stored["name"], stored["intervalSeconds"], stored["version"]) == ("Website", 300, 3)


@pytest.mark.parametrize("if_match", ["1", '"1"', 'W/"1"'])
def test_concurrent_patches_with_the_same_if_match_let_exactly_one_win(stack, if_match):
    # given
    add_system(stack, "shop")
    race = Interleaving()
    # when
    first, second = race.run(
        patch(stack, "/systems/shop", {"name": "First"}, **{"If-Match": if_match}),
        patch(stack, "/systems/shop", {"name": "Second"}, **{"If-Match": if_match}),
    )
    # then
    assert (first.status, second.status) == (200, 412), (first.body, second.body)
    assert race.writes == {"first": 1, "second": 1}
    assert second.error_code == "VERSION_MISMATCH"
    race.stop()
    stored = stack.call("GET", "/systems/shop").body
    assert (stored["name"], stored["version"]) == ("First", 2)


def test_concurrent_patches_never_store_a_timeout_at_or_above_the_interval(stack):
    # given: timeout 10 below interval 60; each patch alone keeps timeout < interval
    add_configuration(stack, "web", intervalSeconds=60, timeoutSeconds=10)
    race = Interleaving()
    # when: both read version 1, then the first stores timeout 40, then the second tries interval 30
    first, second = race.run(
        patch(stack, "/configurations/web", {"timeoutSeconds": 40}),
        patch(stack, "/configurations/web", {"intervalSeconds": 30}),
    )
    # then: the second is judged on the merged item (timeout 40, interval 30) and refused
    assert first.status == 200, first.body
    assert second.status == 422, second.body
    assert second.error_code == "VALIDATION_FAILED"
    assert race.writes == {"first": 1, "second": 1}
    race.stop()
    stored = stack.call("GET", "/configurations/web").body
    assert stored["timeoutSeconds"] < stored["intervalSeconds"]
    assert (stored["timeoutSeconds"], stored["intervalSeconds"], stored["version"]) == (40, 60, 2)
