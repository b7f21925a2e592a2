"""Running a batch of requested checks: load what they need in bulk, probe them concurrently,
then record each run. A message for something deleted is dropped, a malformed one fails."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from shared.domain.catalog_items import AssignmentItem, ConfigurationItem
from shared.domain.wire import (
    LOCAL_SOURCE_ID,
    LOCAL_SOURCE_LABEL,
    ResourceId,
    format_timestamp,
    parse_timestamp,
)
from shared.observability import logger
from shared.services.context import Collaborators
from shared.services.recording import RecordOutcome, RunInput, record_run
from shared.services.secret_config import unsealed_config
from shared.strategies.runner import CheckSpec, run_checks_sync


class MalformedMessageError(Exception):
    """The message body is not a run request; SQS retries it into the dead-letter queue."""


class CheckMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    systemId: ResourceId
    configurationId: ResourceId
    runId: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,128}$")] | None = Field(None)
    requestedAt: str | None = None
    slot: int | None = None  # the scheduled slot the run id names (epoch seconds)
    deadline: int | None = None

    def filed_at(self) -> str | None:
        """What the run is filed under: fixed by the request, so every delivery of it finds one item."""
        if self.slot is not None:
            return format_timestamp(datetime.fromtimestamp(self.slot, UTC))
        try:
            return format_timestamp(parse_timestamp(self.requestedAt)) if self.requestedAt else None
        except ValueError:
            return None


@dataclass(frozen=True)
class PreparedRun:
    run: RunInput | None = None
    problem: Exception | None = None
    deadline_check: CheckMessage | None = None  # a heartbeat deadline: checked when recorded, not probed


def parse_message(body: str) -> CheckMessage:
    """A queued run request; MalformedMessageError when the message is not one."""
    try:
        return CheckMessage.model_validate(json.loads(body))
    except (ValueError, ValidationError) as error:
        raise MalformedMessageError("not a run request") from error


def probe_batch(
    c: Collaborators, messages: dict[str, str], *, budget_seconds: float
) -> dict[str, PreparedRun]:
    """Probe every runnable message of a batch at once; keyed by SQS message id. The run id is the
    one the scheduler named after the due slot (a resend records once), else the message id."""
    prepared: dict[str, PreparedRun] = {}
    parsed: dict[str, CheckMessage] = {}
    for message_id, body in messages.items():
        try:
            parsed[message_id] = parse_message(body)
        except MalformedMessageError as error:
            prepared[message_id] = PreparedRun(problem=error)
    pairs = [(m.systemId, m.configurationId) for m in parsed.values()]
    assignments = {(a.system_id, a.configuration_id): a for a in c.repository.get_assignments(pairs)}
    configurations = c.repository.get_configurations([m.configurationId for m in parsed.values()])
    specs, runnable = [], {}
    for message_id, message in parsed.items():
        if message.deadline is not None:
            prepared[message_id] = PreparedRun(deadline_check=message)
            continue
        assignment = assignments.get((message.systemId, message.configurationId))
        configuration = configurations.get(message.configurationId)
        reason = _not_runnable(assignment, configuration)
        if reason:
            logger.info(
                "run request dropped",
                reason=reason,
                system_id=message.systemId,
                configuration_id=message.configurationId,
            )
            prepared[message_id] = PreparedRun()
            continue
        specs.append(
            CheckSpec(
                key=message_id,
                strategy_id=configuration.strategy_id,
                config=unsealed_config(c.encryptor, configuration.config),
                timeout_seconds=configuration.timeout_seconds,
                assertions=configuration.assertions,
            )
        )
        runnable[message_id] = message
    outcomes = (
        run_checks_sync(
            specs, allow_private_targets=c.settings.allow_private_targets, budget_seconds=budget_seconds
        )
        if specs
        else []
    )
    for outcome in outcomes:
        message = runnable[outcome.key]
        prepared[outcome.key] = PreparedRun(
            run=RunInput(
                run_id=message.runId or outcome.key,
                system_id=message.systemId,
                configuration_id=message.configurationId,
                source_id=LOCAL_SOURCE_ID,
                source_label=LOCAL_SOURCE_LABEL,
                status=outcome.status,
                latency_ms=outcome.latency_ms,
                timestamp=format_timestamp(outcome.started_at),
                result=outcome.result,
                assertions=outcome.assertions,
                error=outcome.error,
                filed_at=message.filed_at(),
            )
        )
    return prepared


def _not_runnable(assignment: AssignmentItem | None, configuration: ConfigurationItem | None) -> str | None:
    if assignment is None or configuration is None:
        return "system, check or assignment deleted"
    if configuration.paused or not assignment.enabled:
        return "paused or disabled"
    return None


def record_prepared(c: Collaborators, prepared: PreparedRun) -> RecordOutcome:
    """Record a probed run through `record_run`."""
    if prepared.problem is not None:
        raise prepared.problem
    if prepared.deadline_check is not None:
        from shared.services.heartbeats import check_deadline

        message = prepared.deadline_check
        return check_deadline(c, message.systemId, message.configurationId, message.deadline)
    if prepared.run is None:
        return RecordOutcome("dropped")
    return record_run(c, prepared.run)
