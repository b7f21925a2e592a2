"""AWS and repository adapters for the alerting ports: the system directory, the delivery queue,
one-time EventBridge Scheduler wake-ups."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from shared.data.table import error_code
from shared.domain.alerting import SystemFacts

SEND_BATCH_LIMIT = 10


class RepositorySystems:
    def __init__(self, repository: Any):
        self._repository = repository

    def facts(self, system_id: str) -> SystemFacts | None:
        snapshot = self._repository.system_snapshot(system_id)
        system = snapshot.system
        if system is None:
            return None
        return SystemFacts(
            id=system.id,
            name=system.name,
            tags=system.tags,
            depends_on=system.depends_on,
            check_ids=[a.configuration_id for a in snapshot.assignments],
            maintenances=snapshot.maintenances,
        )

    def statuses(self, system_ids: list[str]) -> dict[str, str]:
        return {k: v.status for k, v in self._repository.get_states(system_ids).items()}


class SqsDeliveryQueue:
    def __init__(self, client: Any, queue_url: str):
        self._client = client
        self._url = queue_url

    def send(self, messages: list[dict]) -> None:
        for start in range(0, len(messages), SEND_BATCH_LIMIT):
            chunk = messages[start : start + SEND_BATCH_LIMIT]
            entries = [{"Id": str(i), "MessageBody": json.dumps(m)} for i, m in enumerate(chunk)]
            answer = self._client.send_message_batch(QueueUrl=self._url, Entries=entries)
            if answer.get("Failed"):
                raise RuntimeError(f"{len(answer['Failed'])} deliveries not queued")


class SchedulerWakeups:
    """One one-time schedule per incident, named after it, deleted by the service after it fires."""

    def __init__(self, client: Any, *, target_arn: str, role_arn: str, group: str):
        self._client = client
        self._target = target_arn
        self._role = role_arn
        self._group = group

    def wake_at(self, name: str, at: datetime, payload: dict) -> None:
        request = {
            "Name": name,
            "GroupName": self._group,
            "ScheduleExpression": f"at({at.astimezone(UTC):%Y-%m-%dT%H:%M:%S})",
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {"Arn": self._target, "RoleArn": self._role, "Input": json.dumps(payload)},
            "ActionAfterCompletion": "DELETE",
        }
        try:
            self._client.create_schedule(**request)
        except ClientError as error:
            if error_code(error) != "ConflictException":
                raise
            self._client.update_schedule(**request)

    def cancel(self, name: str) -> None:
        try:
            self._client.delete_schedule(Name=name, GroupName=self._group)
        except ClientError as error:
            if error_code(error) != "ResourceNotFoundException":
                raise
