"""What a satellite may do: pull its assignments, push results, say it is alive (the offline
sweep is `satellite_sweep`).

Results are parsed, authorised and judged one by one (`satellite_results`), then recorded per
system in bulk (`bulk_recording`) with the same state rules as local runs. Idempotent by
(satellite, resultId); one bad result never sinks the batch.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from typing import Any

from shared.domain.credential_items import SatelliteItem
from shared.domain.errors import ThrottledError
from shared.domain.snapshots import CheckReads
from shared.domain.wire import format_timestamp
from shared.observability import metrics
from shared.services import outbox
from shared.services.bulk_recording import record_system_runs
from shared.services.context import Collaborators
from shared.services.recording import RunInput
from shared.services.satellite_results import (
    IngestReport,
    authorised_runs,
    parse_results,
    result_id,
    run_key,
)
from shared.services.secret_config import unsealed_config

REQUESTS_PER_MINUTE = 120


def admit_request(c: Collaborators, satellite: SatelliteItem) -> None:
    """Per-satellite rate limit: a fixed one-minute window of REQUESTS_PER_MINUTE requests."""
    now = c.clock()
    window = now.strftime("%Y%m%dT%H%M")
    if not c.repository.take_request_slot(
        satellite.id, window, limit=REQUESTS_PER_MINUTE, expires_at=int(now.timestamp()) + 120
    ):
        raise ThrottledError("too many requests from this satellite", retry_after_seconds=60 - now.second)


# --- assignments -------------------------------------------------------------------------------


def assignments_for(c: Collaborators, satellite: SatelliteItem) -> tuple[list[dict], str]:
    """The enabled assignments of unpaused configurations naming this satellite, and their ETag."""
    reads = c.repository.check_reads(c.repository.satellite_links(satellite.id))
    assignments = [
        a
        for a in reads.assignments.values()
        if a.enabled and not a.configuration_paused and satellite.id in a.satellite_ids
    ]
    configurations = reads.configurations
    items = []
    for a in sorted(assignments, key=lambda a: (a.system_id, a.configuration_id)):
        configuration = configurations.get(a.configuration_id)
        if configuration is None or configuration.paused:
            continue
        items.append(
            {
                "systemId": a.system_id,
                "configurationId": a.configuration_id,
                "strategyId": configuration.strategy_id,
                "config": unsealed_config(c.encryptor, configuration.config),
                "assertions": configuration.assertions,
                "intervalSeconds": configuration.interval_seconds,
                "timeoutSeconds": configuration.timeout_seconds,
            }
        )
    digest = hashlib.sha256(json.dumps(items, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return items, f'"{digest[:32]}"'


def heartbeat(c: Collaborators, satellite: SatelliteItem) -> None:
    """Record that the satellite is alive."""
    c.repository.touch_satellite(satellite.id, format_timestamp(c.clock()))


# --- results -----------------------------------------------------------------------------------


def ingest_results(c: Collaborators, satellite: SatelliteItem, raw_results: list[Any]) -> IngestReport:
    """Authorise, validate, judge and record a batch of results (see module docstring)."""
    report = IngestReport()
    now = c.clock()
    parsed = parse_results(raw_results, report)
    # One read for what the batch needs before it records: assignments, configurations, run markers,
    # the systems' items and states (read before their partitions, as record_system_runs requires)
    # and the reported checks' items.
    reads = (
        c.repository.check_reads(
            [(r.system_id, r.configuration_id) for r in parsed],
            runs=[run_key(satellite, r) for r in parsed],
            for_recording=True,
        )
        if parsed
        else CheckReads()
    )
    runs = authorised_runs(satellite, parsed, reads, now, report)
    known = reads.known_run_ids
    fresh = []
    for run in runs:
        (report.duplicates if run.run_id in known else report.accepted).append(result_id(run))
        if run.run_id not in known:
            fresh.append(run)
    by_system: dict[str, list[RunInput]] = defaultdict(list)
    for run in fresh:
        by_system[run.system_id].append(run)
    # A resent result means our earlier request ended: events it committed but did not publish go out.
    resent = {r.system_id for r in runs if r.run_id in known}
    deliveries = []
    for system_id, system_runs in by_system.items():
        ordered = sorted(system_runs, key=lambda r: r.timestamp)
        deliveries.append(
            record_system_runs(
                c, satellite, system_id, ordered, report, reads=reads, resent=system_id in resent
            )
        )
    for system_id in sorted(resent - by_system.keys()):
        left = outbox.publishable(c.repository.outbox_of(system_id), satellite.id, c.clock())
        deliveries.append(outbox.Delivery(system_id, left))
    outbox.deliver_all(c, deliveries)
    if not satellite.heard_recently(now):
        c.repository.touch_satellite(satellite.id, format_timestamp(now))
    metrics.add_metric(name="SatelliteResultsAccepted", unit="Count", value=len(report.accepted))
    return report
