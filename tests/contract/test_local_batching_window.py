"""The local SQS event source mapping gathers a batch as Lambda's does: up to BatchSize, within the window."""

import threading
from types import SimpleNamespace

from local.event_sources import QueuePoller
from local.poller_scaling import PollerScale
from local.template import LambdaFunction, QueueSubscription


class _TrickleQueue:
    """An SQS client whose queue hands out one message per receive, from a fixed supply."""

    def __init__(self, supply: int):
        self.supply = supply
        self.deleted: list[str] = []

    def receive_message(self, **_) -> dict:
        if self.supply == 0:
            return {}
        self.supply -= 1
        message_id = f"m{self.supply}"
        return {
            "Messages": [
                {"MessageId": message_id, "ReceiptHandle": message_id, "Body": "{}", "MD5OfBody": "x"}
            ]
        }

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict]) -> None:
        self.deleted += [entry["ReceiptHandle"] for entry in Entries]


def _poller(sqs: _TrickleQueue, batch_size: int, window_seconds: int, batches: list[int]) -> QueuePoller:
    function = LambdaFunction("ExecutorFunction", "h.handler", 60, 128, {})
    emulation = SimpleNamespace(
        client=lambda _: sqs,
        queue_url=lambda _: "queue-url",
        queue_arn=lambda _: "arn:aws:sqs:us-east-1:123456789012:ChecksQueue",
        region="us-east-1",
        template=SimpleNamespace(functions={"ExecutorFunction": function}),
    )
    subscription = QueueSubscription("ExecutorFunction", "ChecksQueue", batch_size, window_seconds, False)
    return QueuePoller(
        emulation, subscription, lambda _, event: batches.append(len(event["Records"])), threading.Event()
    )


def test_messages_trickling_in_within_the_window_make_one_batch():
    # given a queue where three messages arrive one receive at a time, batch size 10, window 1 s
    sqs, batches = _TrickleQueue(supply=3), []
    # when the mapping polls once
    _poller(sqs, batch_size=10, window_seconds=1, batches=batches).run_once()
    # then the function gets all three in one invocation, and all three are deleted
    assert batches == [3]
    assert len(sqs.deleted) == 3


def test_a_full_batch_does_not_wait_for_the_window():
    # given more messages than the batch size
    sqs, batches = _TrickleQueue(supply=5), []
    # when the mapping polls once with batch size 2 and a long window
    _poller(sqs, batch_size=2, window_seconds=300, batches=batches).run_once()
    # then the batch is cut at its size and the rest stays queued
    assert batches == [2]
    assert sqs.supply == 3


def test_without_a_window_the_first_receive_is_the_batch():
    sqs, batches = _TrickleQueue(supply=3), []
    _poller(sqs, batch_size=10, window_seconds=0, batches=batches).run_once()
    assert batches == [1]


class _Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_second_poller_polls_only_while_the_first_is_kept_busy():
    # given a subscription's scale over a 10 s window
    clock = _Clock()
    scale = PollerScale(window_seconds=10, clock=clock)
    # when the first poller's invocations took 2 s of the last 10
    scale.record(0, 91.0, 93.0)
    # then the second poller stays idle (one sandbox drains the queue), and poller 0 always polls
    assert scale.should_poll(0)
    assert not scale.should_poll(1)
    # when they took 7 s of the last 10, the first still has slack: the second stays idle
    scale.record(0, 93.0, 98.0)
    assert scale.busy_share(0) == 0.7
    assert not scale.should_poll(1)
    # when they took 9 s of the last 10 (messages wait for it), the second polls
    scale.record(0, 98.0, 100.0)
    assert scale.busy_share(0) == 0.9
    assert scale.should_poll(1)
    # then a third poller follows the second's business, and a quiet window scales back in
    assert not scale.should_poll(2)
    clock.now = 110.0
    assert scale.busy_share(0) == 0.0
    assert not scale.should_poll(1)


def test_a_poller_the_scale_holds_back_does_not_receive():
    # given a second poller whose first poller has been idle
    sqs, batches = _TrickleQueue(supply=3), []
    poller = _poller(sqs, batch_size=10, window_seconds=0, batches=batches)
    poller.number = 1
    poller.stop_event.set()  # the pause it takes returns at once
    # when it runs, then it takes nothing from the queue
    poller.run_once()
    assert batches == [] and sqs.supply == 3
