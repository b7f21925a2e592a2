"""What a satellite may do: pull its assignments, push results, say it is alive.

Results are authorised one by one against their assignment, validated, judged with the
configuration's assertions when the satellite sent a raw result, and recorded with the same
state rules as local runs — in bulk: per system, run items go out in batch writes and up to
`CHUNK` results (fewer when their writes would pass DynamoDB's 100 items per transaction) share
one transaction (markers conditional on absence, summed aggregates, the
state conditional on its version, and an outbox entry with the events). Idempotent by
(satellite, resultId); one bad result never sinks the batch.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from shared.domain import aggregates
from shared.domain.errors import ThrottledError
from shared.domain.models import ResourceId, format_timestamp, parse_timestamp
from shared.domain.records import AggregateIncrement, DuplicateRunError, StateVersionConflict, run_aggregates
from shared.events import Event
from shared.observability import logger, metrics
from shared.services.context import Collaborators
from shared.services.health_state import (
    SliceRun,
    _satellites_of,
    next_state,
    offline_sources,
)
from shared.services.recording import RunInput, _run_events
from shared.strategies.runner import evaluate_raw_result

CHUNK = 90
TRANSACTION_ITEMS = 100
MAX_FUTURE_SKEW = timedelta(minutes=5)
REQUESTS_PER_MINUTE = 120


class SatelliteResult(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    result_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,128}$")] = Field(
        alias="resultId"
    )
    system_id: ResourceId = Field(alias="systemId")
    configuration_id: ResourceId = Field(alias="configurationId")
    status: Literal["healthy", "degraded", "unhealthy"] | None = None
    latency_ms: float | None = Field(None, alias="latencyMs", ge=0, le=3_600_000)
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    executed_at: AwareDatetime = Field(alias="executedAt")


@dataclass
class IngestReport:
    accepted: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)

    def reject(self, result_id: str, code: str, message: str) -> None:
        self.rejected.append({"resultId": result_id, "code": code, "message": message})

    def to_wire(self) -> dict:
        return {"accepted": self.accepted, "duplicates": self.duplicates, "rejected": self.rejected}


def source_label(satellite: dict) -> str:
    return f"{satellite['name']} ({satellite['region']})" if satellite.get("region") else satellite["name"]


def admit_request(c: Collaborators, satellite: dict) -> None:
    """Per-satellite rate limit: a fixed one-minute window of REQUESTS_PER_MINUTE requests."""
    now = c.clock()
    window = now.strftime("%Y%m%dT%H%M")
    if not c.repository.take_request_slot(
        satellite["id"], window, limit=REQUESTS_PER_MINUTE, expires_at=int(now.timestamp()) + 120
    ):
        raise ThrottledError("too many requests from this satellite", retry_after_seconds=60 - now.second)


# --- assignments -------------------------------------------------------------------------------


def assignments_for(c: Collaborators, satellite: dict) -> tuple[list[dict], str]:
    """The enabled assignments of unpaused configurations naming this satellite, and their ETag."""
    pairs = c.repository.satellite_links(satellite["id"])
    assignments = [
        a
        for a in c.repository.get_assignments(pairs)
        if a["enabled"] and not a.get("configurationPaused") and satellite["id"] in a["satelliteIds"]
    ]
    configurations = c.repository.get_configurations([a["configurationId"] for a in assignments])
    items = []
    for a in sorted(assignments, key=lambda a: (a["systemId"], a["configurationId"])):
        configuration = configurations.get(a["configurationId"])
        if configuration is None or configuration["paused"]:
            continue
        items.append(
            {
                "systemId": a["systemId"],
                "configurationId": a["configurationId"],
                "strategyId": configuration["strategyId"],
                "config": configuration["config"],
                "assertions": configuration.get("assertions", []),
                "intervalSeconds": configuration["intervalSeconds"],
                "timeoutSeconds": configuration["timeoutSeconds"],
            }
        )
    digest = hashlib.sha256(json.dumps(items, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return items, f'"{digest[:32]}"'


def heartbeat(c: Collaborators, satellite: dict) -> None:
    c.repository.touch_satellite(satellite["id"], format_timestamp(c.clock()))


# --- results -----------------------------------------------------------------------------------


def ingest_results(c: Collaborators, satellite: dict, raw_results: list[Any]) -> IngestReport:
    """Authorise, validate, judge and record a batch of results (see module docstring)."""
    report = IngestReport()
    now = c.clock()
    _publish_outbox(c, satellite["id"])
    parsed = _parse(raw_results, report)
    runs = _authorised_runs(c, satellite, parsed, now, report)
    known = c.repository.known_run_ids([r.run_id for r in runs]) if runs else set()
    fresh = []
    for run, result_id in ((r, _result_id(r)) for r in runs):
        (report.duplicates if run.run_id in known else report.accepted).append(result_id)
        if run.run_id not in known:
            fresh.append(run)
    by_system: dict[str, list[RunInput]] = defaultdict(list)
    for run in fresh:
        by_system[run.system_id].append(run)
    for system_id, system_runs in by_system.items():
        _record_system_runs(c, satellite, system_id, sorted(system_runs, key=lambda r: r.timestamp), report)
    c.repository.touch_satellite(satellite["id"], format_timestamp(now))
    metrics.add_metric(name="SatelliteResultsAccepted", unit="Count", value=len(report.accepted))
    return report


def _result_id(run: RunInput) -> str:
    return run.run_id.split(":", 2)[2]


def _parse(raw_results: list[Any], report: IngestReport) -> list[SatelliteResult]:
    parsed, seen = [], set()
    for raw in raw_results:
        result_id = str(raw.get("resultId", "")) if isinstance(raw, dict) else ""
        try:
            result = SatelliteResult.model_validate(raw)
        except ValidationError as error:
            problem = error.errors()[0]
            field_name = ".".join(str(p) for p in problem.get("loc", ()))
            report.reject(result_id, "VALIDATION_FAILED", f"{field_name}: {problem.get('msg', 'invalid')}")
            continue
        if result.result_id in seen:
            report.duplicates.append(result.result_id)
            continue
        seen.add(result.result_id)
        parsed.append(result)
    return parsed


def _authorised_runs(
    c: Collaborators, satellite: dict, results: list[SatelliteResult], now: datetime, report: IngestReport
) -> list[RunInput]:
    pairs = [(r.system_id, r.configuration_id) for r in results]
    assignments = {(a["systemId"], a["configurationId"]): a for a in c.repository.get_assignments(pairs)}
    configurations = c.repository.get_configurations([r.configuration_id for r in results]) if results else {}
    runs = []
    for result in results:
        assignment = assignments.get((result.system_id, result.configuration_id))
        configuration = configurations.get(result.configuration_id)
        if assignment is None or configuration is None:
            report.reject(result.result_id, "NOT_FOUND", "no such system, configuration or assignment")
            continue
        if satellite["id"] not in assignment["satelliteIds"] or not assignment["enabled"]:
            report.reject(result.result_id, "FORBIDDEN", "this check is not assigned to this satellite")
            continue
        if result.executed_at > now + MAX_FUTURE_SKEW:
            report.reject(
                result.result_id, "VALIDATION_FAILED", "executedAt is more than 5 minutes in the future"
            )
            continue
        raw_days = timedelta(days=assignment["retention"]["rawDays"])
        if result.executed_at < now - raw_days:
            report.reject(result.result_id, "VALIDATION_FAILED", "executedAt is older than the raw retention")
            continue
        if result.status is None and result.result is None:
            report.reject(result.result_id, "VALIDATION_FAILED", "a result needs a status or a raw result")
            continue
        status, assertions, error, latency_ms = result.status, [], result.error, result.latency_ms
        if result.result is not None:
            try:
                verdict = evaluate_raw_result(
                    configuration["strategyId"],
                    configuration["config"],
                    result.result,
                    configuration.get("assertions", []),
                    latency_ms=result.latency_ms,
                    reported_error=result.error,
                )
            except (ValidationError, ValueError) as problem:
                report.reject(
                    result.result_id, "VALIDATION_FAILED", f"result does not fit the strategy: {problem}"
                )
                continue
            status, assertions, error = verdict.status, verdict.assertions, verdict.error
            latency_ms = verdict.latency_ms
        runs.append(
            RunInput(
                run_id=f"sat:{satellite['id']}:{result.result_id}",
                system_id=result.system_id,
                configuration_id=result.configuration_id,
                source_id=satellite["id"],
                source_label=source_label(satellite),
                status=status,
                latency_ms=latency_ms,
                timestamp=format_timestamp(result.executed_at),
                result=result.result or {},
                assertions=assertions,
                error=error,
                expires_at=int((result.executed_at + raw_days).timestamp()),
            )
        )
    return runs


def _record_system_runs(
    c: Collaborators, satellite: dict, system_id: str, runs: list[RunInput], report: IngestReport
) -> None:
    """Commit a system's runs chunk by chunk on one snapshot (re-read only after a conflict), then
    invalidate the system once and publish every chunk's events."""
    c.repository.put_runs([r.item() for r in runs])
    snapshot = c.repository.system_snapshot(system_id)
    satellites = _satellites_of(c, snapshot)
    committed: list[tuple[str, list[Event]]] = []
    pending = runs
    while pending:
        for _ in c.conflicts.tries():
            if snapshot["system"] is None:
                raise StateVersionConflict()
            try:
                taken, state, entry = _commit_chunk(c, satellite, snapshot, satellites, pending)
                break
            except StateVersionConflict:
                snapshot = c.repository.system_snapshot(system_id)
                continue
            except DuplicateRunError:
                # A concurrent delivery recorded some of them first: drop those and retry the rest.
                known = c.repository.known_run_ids([r.run_id for r in pending[:CHUNK]])
                for run in pending[:CHUNK]:
                    if run.run_id in known:
                        report.accepted.remove(_result_id(run))
                        report.duplicates.append(_result_id(run))
                pending = [r for r in pending if r.run_id not in known]
                snapshot = c.repository.system_snapshot(system_id)
                if not pending:
                    taken, state, entry = 0, None, None
                    break
        else:
            raise StateVersionConflict()
        pending = pending[taken:]
        if entry is not None:
            snapshot = snapshot | {"state": state}
            committed.append(entry)
    if committed:
        _publish_entries(c, satellite["id"], system_id, committed)


def _commit_chunk(
    c: Collaborators, satellite: dict, snapshot: dict, satellites: dict, runs: list[RunInput]
) -> tuple[int, dict, tuple[str, list[Event]]]:
    """Commit the longest prefix of `runs` (at most CHUNK) whose writes fit in one transaction;
    returns how many runs it took, the state it stored and the outbox entry to publish."""
    system_id = snapshot["system"]["id"]
    now = c.clock()
    offline = offline_sources(satellites, now) - {satellite["id"]}
    assignments = {a["configurationId"]: a for a in snapshot["assignments"]}
    working = dict(snapshot)
    events: list[Event] = []
    transitions: list[dict] = []
    summed: dict[tuple, AggregateIncrement] = {}
    chunk: list[RunInput] = []
    first_version = snapshot["state"]["version"] if snapshot["state"] else None
    for run in runs[:CHUNK]:
        assignment = assignments.get(run.configuration_id)
        step = None
        if assignment is not None:
            step = next_state(
                working,
                now,
                offline=offline,
                run=SliceRun(
                    run.configuration_id, run.source_id, run.source_label, run.status, run.timestamp
                ),
            )
        # Markers, aggregates and transitions, plus the state and the outbox entry, must stay
        # within DynamoDB's limit of items per transaction: a flapping or hours-long backlog
        # adds a transition or aggregates per run.
        new_aggregates = len(_aggregate_keys(run) - summed.keys()) if assignment is not None else 0
        needed = (
            len(chunk)
            + 1
            + len(summed)
            + new_aggregates
            + len(transitions)
            + (1 if step is not None and step.transition else 0)
            + 2
        )
        if chunk and needed > TRANSACTION_ITEMS:
            break
        chunk.append(run)
        if assignment is None:
            continue
        events += _run_events(snapshot["system"], assignment, run)
        _sum_aggregates(summed, run, assignment)
        if step is None:
            continue
        working = working | {"state": step.item}
        if step.transition:
            transitions.append(step.transition | {"stateVersion": step.item["version"]})
            events.append(step.event)
    entry_id = str(uuid.uuid4())
    wire_events = [{"detailType": e.detail_type, "detail": e.detail} for e in events]
    c.repository.commit_run_batch(
        system_id,
        run_ids=[r.run_id for r in chunk],
        markers={
            "systemId": system_id,
            "published": True,
            "expiresAt": int((now + timedelta(days=30)).timestamp()),
        },
        aggregates=list(summed.values()),
        state=working["state"],
        expected_state_version=first_version,
        transitions=transitions,
        outbox=(satellite["id"], entry_id, wire_events),
    )
    return len(chunk), working["state"], (entry_id, events)


def _aggregate_keys(run: RunInput) -> set[tuple]:
    moment = parse_timestamp(run.timestamp)
    return {
        (run.configuration_id, "hourly", aggregates.hour_key(moment), run.source_id),
        (run.configuration_id, "daily", aggregates.day_key(moment), run.source_id),
    }


def _sum_aggregates(summed: dict, run: RunInput, assignment: dict) -> None:
    moment = parse_timestamp(run.timestamp)
    for increment in run_aggregates(
        moment, run.source_id, run.status, run.latency_ms, assignment["retention"]
    ):
        key = (run.configuration_id, increment.tier, increment.start, run.source_id)
        if key in summed:
            _, existing = summed[key]
            for name, value in increment.increments.items():
                existing.increments[name] = existing.increments.get(name, 0) + value
            existing.expires_at = max(existing.expires_at, increment.expires_at)
        else:
            summed[key] = ({"systemId": run.system_id, "configurationId": run.configuration_id}, increment)


def _publish_entries(
    c: Collaborators, owner: str, system_id: str, entries: list[tuple[str, list[Event]]]
) -> None:
    acknowledged = c.cache.invalidate(system_id)
    c.publisher.publish([e.acknowledged(acknowledged) for _, events in entries for e in events])
    c.repository.delete_outbox(owner, [entry_id for entry_id, _ in entries])


def _publish_outbox(c: Collaborators, owner: str) -> None:
    """Events a crashed earlier request committed but did not publish go out first."""
    for entry in c.repository.pending_outbox(owner):
        events = [Event(e["detailType"], e["detail"]) for e in entry.get("events", [])]
        logger.info("publishing outbox entry", entries=len(events), system_id=entry["systemId"])
        _publish_entries(c, owner, entry["systemId"], [(entry["sk"], events)])
