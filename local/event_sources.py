"""The background loops of the local runtime: schedules, the SQS event source mapping, and the event log."""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from local.emulation import Emulation
from local.poller_scaling import PollerScale
from local.template import LOCAL_ACCOUNT_ID, LambdaFunction, QueueSubscription, Schedule

log = logging.getLogger("local.events")

Invoke = Callable[[LambdaFunction, dict], Any]

ONE_DAY_SECONDS = 86_400
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3_600, "day": ONE_DAY_SECONDS}
# The emulation answers one call at a time, so a long poll would stall every other caller:
# pollers ask without waiting and pause themselves when a queue is empty.
_EMPTY_QUEUE_PAUSE_SECONDS = 0.5
_BATCHING_PAUSE_SECONDS = 0.2
_TTL_SWEEP_SECONDS = 60
_REAP_SECONDS = 15


def schedule_period_seconds(expression: str, tick_seconds: float) -> float:
    """How often a schedule fires locally; every-minute schedules follow the tick, cron ones run daily."""
    rate = _RATE.match(expression)
    if rate is None:
        return ONE_DAY_SECONDS
    period = int(rate.group(1)) * _UNIT_SECONDS[rate.group(2).rstrip("s")]
    return tick_seconds if period == 60 else period


def scheduler_event(schedule: Schedule, region: str) -> dict:
    """What EventBridge Scheduler sends a Lambda target whose schedule declares no input."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": LOCAL_ACCOUNT_ID,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [
            f"arn:aws:scheduler:{region}:{LOCAL_ACCOUNT_ID}:schedule/default/{schedule.function}-{schedule.name}"
        ],
        "detail": "{}",
    }


def sqs_event(messages: list[dict], queue_arn: str, region: str) -> dict:
    """The event an SQS event source mapping hands the function for one received batch."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {
                    name: _lambda_message_attribute(attribute)
                    for name, attribute in message.get("MessageAttributes", {}).items()
                },
                "md5OfBody": message["MD5OfBody"],
                **(
                    {"md5OfMessageAttributes": message["MD5OfMessageAttributes"]}
                    if "MD5OfMessageAttributes" in message
                    else {}
                ),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for message in messages
        ]
    }


def _lambda_message_attribute(attribute: dict) -> dict:
    converted: dict[str, Any] = {
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": attribute["DataType"],
    }
    if "StringValue" in attribute:
        converted["stringValue"] = attribute["StringValue"]
    if "BinaryValue" in attribute:
        converted["binaryValue"] = base64.b64encode(attribute["BinaryValue"]).decode("ascii")
    return converted


def messages_to_delete(messages: list[dict], result: Any, reports_batch_item_failures: bool) -> list[dict]:
    """Lambda's partial batch rule: delete all but the reported failures; a bad report fails the batch."""
    if not reports_batch_item_failures or not isinstance(result, dict) or not result.get("batchItemFailures"):
        return messages
    received_ids = {message["MessageId"] for message in messages}
    failed_ids = set()
    for failure in result["batchItemFailures"]:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if identifier not in received_ids:
            return []
        failed_ids.add(identifier)
    return [message for message in messages if message["MessageId"] not in failed_ids]


def next_beat(due_at: float, period: float, now: float) -> float:
    """When a periodic job falls due next: on its beat (no drift from late wake-ups), and never
    in the past after a long stall (a missed beat is skipped, as EventBridge skips it)."""
    following = due_at + period
    return following if following > now else now + period


class _Loop(threading.Thread):
    def __init__(self, name: str, stop_event: threading.Event):
        super().__init__(name=name, daemon=True)
        self.stop_event = stop_event

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.run_once()
            except Exception:
                # A failing function or a hiccup of the emulation never stops the runtime.
                log.exception("%s: failed", self.name)
                self.stop_event.wait(1)

    def run_once(self) -> None:
        raise NotImplementedError


class ScheduleLoop(_Loop):
    """Fires every schedule once at start, then at its period."""

    def __init__(
        self, emulation: Emulation, invoke: Invoke, tick_seconds: float, stop_event: threading.Event
    ):
        super().__init__("schedules", stop_event)
        self.emulation = emulation
        self.invoke = invoke
        self.periods = {
            schedule: schedule_period_seconds(schedule.expression, tick_seconds)
            for schedule in emulation.template.schedules
        }
        self.next_due = dict.fromkeys(self.periods, time.monotonic())

    def run_once(self) -> None:
        if not self.next_due:
            self.stop_event.wait()
            return
        schedule, due_at = min(self.next_due.items(), key=lambda item: item[1])
        if self.stop_event.wait(max(0.0, due_at - time.monotonic())):
            return
        self.next_due[schedule] = next_beat(due_at, self.periods[schedule], time.monotonic())
        function = self.emulation.template.functions[schedule.function]
        log.info("schedule fired: %s %s", schedule.function, schedule.expression)
        self.invoke(function, scheduler_event(schedule, self.emulation.region))


class QueuePoller(_Loop):
    """Drains a queue into its function as the SQS event source mapping does; the mapping scales out
    to as many pollers as the function has sandboxes, while the ones polling are kept busy (`scale`)."""

    def __init__(
        self,
        emulation: Emulation,
        subscription: QueueSubscription,
        invoke: Invoke,
        stop_event: threading.Event,
        number: int = 0,
        scale: PollerScale | None = None,
    ):
        super().__init__(f"poller-{subscription.queue}-{number}", stop_event)
        self.emulation = emulation
        self.subscription = subscription
        self.invoke = invoke
        self.number = number
        self.scale = scale or PollerScale()
        self.sqs = emulation.client("sqs")

    def _receive(self, queue_url: str, at_most: int) -> list[dict]:
        return self.sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(at_most, 10),
            WaitTimeSeconds=0,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])

    def _batch(self, queue_url: str) -> list[dict]:
        """Lambda's batching: once a message is in, gather up to BatchSize for at most the batching window."""
        messages = self._receive(queue_url, self.subscription.batch_size)
        deadline = time.monotonic() + self.subscription.batching_window_seconds
        while messages and len(messages) < self.subscription.batch_size and time.monotonic() < deadline:
            more = self._receive(queue_url, self.subscription.batch_size - len(messages))
            if not more and self.stop_event.wait(min(_BATCHING_PAUSE_SECONDS, deadline - time.monotonic())):
                break
            messages += more
        return messages

    def run_once(self) -> None:
        if not self.scale.should_poll(self.number):
            self.stop_event.wait(_EMPTY_QUEUE_PAUSE_SECONDS)
            return
        queue_url = self.emulation.queue_url(self.subscription.queue)
        messages = self._batch(queue_url)
        if not messages:
            self.stop_event.wait(_EMPTY_QUEUE_PAUSE_SECONDS)
            return
        function = self.emulation.template.functions[self.subscription.function]
        event = sqs_event(messages, self.emulation.queue_arn(self.subscription.queue), self.emulation.region)
        started = time.monotonic()
        try:
            result = self.invoke(function, event)
        except Exception:
            log.exception("batch failed; its messages return after the visibility timeout")
            return
        finally:
            self.scale.record(self.number, started, time.monotonic())
        deletable = messages_to_delete(messages, result, self.subscription.reports_batch_item_failures)
        if deletable:
            self.sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                    for index, message in enumerate(deletable)
                ],
            )
        log.info("batch done: %s received=%d deleted=%d", function.logical_id, len(messages), len(deletable))


class EventLogDrainer(_Loop):
    """Prints every event published on the template's buses as one line."""

    def __init__(self, emulation: Emulation, stop_event: threading.Event, printer: Callable[[str], None]):
        super().__init__("event-log", stop_event)
        self.emulation = emulation
        self.printer = printer
        self.sqs = emulation.client("sqs")

    def run_once(self) -> None:
        queue_url = self.emulation.event_log_queue_url
        messages = self.sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", [])
        if not messages:
            self.stop_event.wait(_EMPTY_QUEUE_PAUSE_SECONDS)
            return
        for message in messages:
            event = json.loads(message["Body"])
            self.printer(
                f"event {event.get('detail-type')}: {json.dumps(event.get('detail'), sort_keys=True)}"
            )
        self.sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                for index, message in enumerate(messages)
            ],
        )


class Housekeeping(_Loop):
    """What AWS does in the background: expired items go (TTL), idle sandboxes end; the state is saved
    periodically. The sweep and the saves run off the schedules' beat (`phase_seconds` after start),
    so they never hold the emulation in the same second as the every-minute scheduler tick."""

    def __init__(
        self,
        emulation: Emulation,
        stop_event: threading.Event,
        save_interval_seconds: float,
        save: Callable[[], str] | None,
        reap: Callable[[], list[str]] | None = None,
        phase_seconds: float = 0.0,
    ):
        super().__init__("housekeeping", stop_event)
        self.emulation = emulation
        self.save = save
        self.reap = reap
        self.save_interval_seconds = save_interval_seconds
        start = time.monotonic() + phase_seconds
        self.next_sweep = start
        self.next_save = start + save_interval_seconds / 2
        self.next_reap = start + _REAP_SECONDS

    def run_once(self) -> None:
        due = min(self.next_sweep, self.next_save, self.next_reap)
        if self.stop_event.wait(max(0.0, due - time.monotonic())):
            return
        now = time.monotonic()
        if now >= self.next_reap:
            self.next_reap = next_beat(self.next_reap, _REAP_SECONDS, now)
            reaped = self.reap() if self.reap else []
            if reaped:
                log.info("idle sandboxes ended: %s", ", ".join(reaped))
        if now >= self.next_sweep:
            self.next_sweep = next_beat(self.next_sweep, _TTL_SWEEP_SECONDS, now)
            deleted = self.emulation.sweep_expired_items()
            if deleted:
                log.info("ttl sweep: %d expired items deleted", deleted)
        if now >= self.next_save:
            self.next_save = next_beat(self.next_save, self.save_interval_seconds, now)
            log.info("%s", self.emulation.usage_summary(self.save_interval_seconds))
            if self.save:
                log.info("saved: %s", self.save())
