"""Daily retention: enforce each assignment's current retention (TTL deletion lags by days and
does not follow a shortened retention) and purge the history of deleted systems."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from shared.domain import aggregates
from shared.domain.wire import format_timestamp
from shared.observability import logger
from shared.services.context import Collaborators


@dataclass
class RetentionReport:
    runs: int = 0
    aggregates: int = 0
    purged_systems: list[str] = field(default_factory=list)


def apply_retention(c: Collaborators) -> RetentionReport:
    """Delete history older than each assignment's retention and purge deleted systems' history."""
    report = RetentionReport()
    now = c.clock()
    cursor = None
    while True:
        page = c.repository.list_assignments_page(limit=100, cursor=cursor)
        for a in page.items:
            system_id, configuration_id, retention = a["systemId"], a["configurationId"], a["retention"]
            report.runs += c.repository.delete_runs(
                system_id,
                configuration_id,
                before=format_timestamp(now - timedelta(days=retention["rawDays"])),
            )
            for tier, days in (("hourly", retention["hourlyDays"]), ("daily", retention["dailyDays"])):
                report.aggregates += c.repository.delete_aggregates(
                    tier,
                    system_id,
                    configuration_id,
                    before=aggregates.bucket_key(aggregates.day_start(now - timedelta(days=days))),
                )
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    for tombstone in c.repository.tombstones():
        system_id = tombstone["systemId"]
        c.repository.purge_history(system_id, tombstone.get("configurationIds", []))
        c.cache.invalidate(system_id)
        c.repository.delete_tombstone(system_id)
        report.purged_systems.append(system_id)
    logger.info(
        "retention applied",
        runs=report.runs,
        aggregates=report.aggregates,
        purged_systems=len(report.purged_systems),
    )
    return report
