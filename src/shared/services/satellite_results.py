"""A satellite's results before they are recorded: parsed one by one, authorised against their
assignment, judged with the configuration's assertions when the satellite sent a raw result.
One bad result is rejected with its reason; it never sinks the batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from shared.domain.credential_items import SatelliteItem
from shared.domain.records import expiry_epoch
from shared.domain.satellite_results import SatelliteResult
from shared.domain.snapshots import CheckReads, RunKey
from shared.domain.wire import format_timestamp
from shared.services.recording import RunInput
from shared.services.secret_config import redacted_config
from shared.strategies.verdicts import evaluate_raw_result

MAX_FUTURE_SKEW = timedelta(minutes=5)


@dataclass
class IngestReport:
    accepted: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)

    def reject(self, result_id: str, code: str, message: str) -> None:
        """Record one result as rejected with its error code."""
        self.rejected.append({"resultId": result_id, "code": code, "message": message})

    def to_wire(self) -> dict:
        """The outcome as the results endpoint answers it."""
        return {"accepted": self.accepted, "duplicates": self.duplicates, "rejected": self.rejected}


def source_label(satellite: SatelliteItem) -> str:
    """How a satellite is named as a source of runs."""
    return f"{satellite.name} ({satellite.region})" if satellite.region else satellite.name


def result_id(run: RunInput) -> str:
    """The satellite's own id of the result a run came from."""
    return run.run_id.split(":", 2)[2]


def parse_results(raw_results: list[Any], report: IngestReport) -> list[SatelliteResult]:
    """Results that fit the schema, once each; the others are rejected or counted as duplicates."""
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


def run_key(satellite: SatelliteItem, result: SatelliteResult) -> RunKey:
    """Where the run of a satellite's result is filed: its own time and the satellite's result id."""
    return RunKey(
        result.system_id,
        result.configuration_id,
        format_timestamp(result.executed_at),
        f"sat:{satellite.id}:{result.result_id}",
    )


def authorised_runs(
    satellite: SatelliteItem,
    results: list[SatelliteResult],
    reads: CheckReads,
    now: datetime,
    report: IngestReport,
) -> list[RunInput]:
    """The runs of results this satellite may report now (`reads`: their assignments and
    configurations), judged; the others are rejected."""
    runs = []
    for result in results:
        assignment = reads.assignments.get((result.system_id, result.configuration_id))
        configuration = reads.configurations.get(result.configuration_id)
        if assignment is None or configuration is None:
            report.reject(result.result_id, "NOT_FOUND", "no such system, configuration or assignment")
            continue
        if satellite.id not in assignment.satellite_ids or not assignment.enabled:
            report.reject(result.result_id, "FORBIDDEN", "this check is not assigned to this satellite")
            continue
        if result.executed_at > now + MAX_FUTURE_SKEW:
            report.reject(
                result.result_id, "VALIDATION_FAILED", "executedAt is more than 5 minutes in the future"
            )
            continue
        raw_days = timedelta(days=assignment.retention["rawDays"])
        if result.executed_at < now - raw_days:
            report.reject(result.result_id, "VALIDATION_FAILED", "executedAt is older than the raw retention")
            continue
        if result.status is None and result.result is None:
            report.reject(result.result_id, "VALIDATION_FAILED", "a result needs a status or a raw result")
            continue
        status, assertions, error, latency_ms = result.status, [], result.reported_error(), result.latency_ms
        if result.result is not None:
            try:
                verdict = evaluate_raw_result(
                    configuration.strategy_id,
                    redacted_config(configuration.config),
                    result.result,
                    configuration.assertions,
                    latency_ms=result.latency_ms,
                    reported_error=result.reported_error(),
                )
            except (ValidationError, ValueError) as problem:
                report.reject(
                    result.result_id, "VALIDATION_FAILED", f"result does not fit the strategy: {problem}"
                )
                continue
            status, assertions, error = verdict.status, verdict.assertions, verdict.error
            latency_ms = verdict.latency_ms
        key = run_key(satellite, result)
        runs.append(
            RunInput(
                run_id=key.run_id,
                system_id=result.system_id,
                configuration_id=result.configuration_id,
                source_id=satellite.id,
                source_label=source_label(satellite),
                status=status,
                latency_ms=latency_ms,
                timestamp=key.filed_at,
                result=result.result or {},
                assertions=assertions,
                error=error,
                expires_at=expiry_epoch(result.executed_at, assignment.retention["rawDays"]),
            )
        )
    return runs
