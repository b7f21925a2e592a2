"""The EventBridge publisher: as few PutEvents calls as the API allows, per-run events switchable."""

from __future__ import annotations

import json

from shared.events import (
    CHECK_COMPLETED,
    RUN_COMPLETED,
    SYSTEM_HEALTH_CHANGED,
    Event,
    EventBridgePublisher,
)


class RecordingEventsClient:
    """Answers PutEvents like EventBridge; refuses the entries whose index is in `refuse` once."""

    def __init__(self, refuse: set[int] | None = None):
        self.calls: list[list[dict]] = []
        self._refuse = set(refuse or ())

    def put_events(self, *, Entries: list[dict]) -> dict:
        self.calls.append(Entries)
        refused, self._refuse = self._refuse, set()
        results = [
            {"ErrorCode": "InternalFailure"} if i in refused else {"EventId": "e"}
            for i in range(len(Entries))
        ]
        return {"FailedEntryCount": len(refused), "Entries": results}


def events(detail_type: str, count: int, **detail: object) -> list[Event]:
    return [Event(detail_type, {"systemId": f"s{n}"} | detail) for n in range(count)]


def test_events_go_out_ten_to_a_call():
    # given 25 events
    client = RecordingEventsClient()
    # when they are published
    EventBridgePublisher(client, "bus").publish(events(SYSTEM_HEALTH_CHANGED, 25))
    # then three calls carry them all, in order
    assert [len(call) for call in client.calls] == [10, 10, 5]
    assert [json.loads(e["Detail"])["systemId"] for call in client.calls for e in call] == [
        f"s{n}" for n in range(25)
    ]


def test_a_call_never_exceeds_the_request_size_limit():
    # given ten events of 60 KB each
    client = RecordingEventsClient()
    # when they are published
    EventBridgePublisher(client, "bus").publish(events(CHECK_COMPLETED, 10, result={"body": "x" * 60_000}))
    # then each call stays under 256 KB
    assert len(client.calls) == 3
    assert all(sum(len(e["Detail"]) for e in call) < 256_000 for call in client.calls)


def test_refused_entries_are_retried_once_and_only_they():
    # given EventBridge refusing entries 1 and 3 of the first call
    client = RecordingEventsClient(refuse={1, 3})
    # when five events are published
    EventBridgePublisher(client, "bus").publish(events(SYSTEM_HEALTH_CHANGED, 5))
    # then the retry carries just those two
    assert [[json.loads(e["Detail"])["systemId"] for e in call] for call in client.calls][1] == ["s1", "s3"]


def test_per_run_events_turned_off_leave_health_changes_alone():
    # given per-run events turned off
    client = RecordingEventsClient()
    publisher = EventBridgePublisher(client, "bus", run_events=False)
    # when a run's events and a health change are published
    publisher.publish(
        [*events(RUN_COMPLETED, 1), *events(CHECK_COMPLETED, 1), *events(SYSTEM_HEALTH_CHANGED, 1)]
    )
    publisher.publish([*events(RUN_COMPLETED, 1), *events(CHECK_COMPLETED, 1)])
    # then only the health change went out, and a run without one made no call at all
    assert [[e["DetailType"] for e in call] for call in client.calls] == [[SYSTEM_HEALTH_CHANGED]]
