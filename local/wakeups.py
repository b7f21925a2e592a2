"""One-time EventBridge Scheduler schedules (`at(...)`), as the alerting notifier creates them for
incident wake-ups: when one is due, its input goes to its SQS target and the schedule is deleted
(`ActionAfterCompletion: DELETE`). The emulation stores the schedules; this loop fires them."""

from __future__ import annotations

import logging
import re
import threading
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("local.wakeups")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
POLL_SECONDS = 1.0


def due_at(expression: str) -> datetime | None:
    """The moment of an `at(...)` expression (UTC), or None for rate and cron schedules."""
    match = _AT.match(expression)
    return datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC) if match else None


def fire_due_schedules(scheduler: Any, sqs: Any, groups: list[str], now: datetime) -> int:
    """Send the input of every due one-time schedule of `groups` to its queue, then delete it."""
    fired = 0
    for group in groups:
        for summary in scheduler.list_schedules(GroupName=group).get("Schedules", []):
            schedule = scheduler.get_schedule(Name=summary["Name"], GroupName=group)
            moment = due_at(schedule["ScheduleExpression"])
            if moment is None or moment > now:
                continue
            target = schedule["Target"]
            queue_name = target["Arn"].rsplit(":", 1)[1]
            queue_url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
            sqs.send_message(QueueUrl=queue_url, MessageBody=target.get("Input", "{}"))
            scheduler.delete_schedule(Name=summary["Name"], GroupName=group)
            log.info("one-time schedule fired: %s/%s", group, summary["Name"])
            fired += 1
    return fired


class OneTimeScheduleLoop(threading.Thread):
    def __init__(self, scheduler: Any, sqs: Any, groups: list[str], stop_event: threading.Event):
        super().__init__(name="one-time-schedules", daemon=True)
        self.scheduler, self.sqs, self.groups, self.stop_event = scheduler, sqs, groups, stop_event

    def run(self) -> None:
        while not self.stop_event.wait(POLL_SECONDS):
            try:
                fire_due_schedules(self.scheduler, self.sqs, self.groups, datetime.now(UTC))
            except Exception:
                log.exception("one-time schedules: failed")
