"""Daily aggregates rolled up from complete UTC days of hourly ones, so a run writes one aggregate.

A run adds to its hour's item only (and to its day's too when that day was already rolled, see
domain/records.run_aggregates). Once a day is settled (ROLLED_AFTER_DAYS old, so satellite
backlogs and redeliveries have landed), the retention pass rolls it: per check, the day's hourly
items summed per source become its daily items, written with the check item's new `rolledThrough`
in one transaction conditional on that item's version (data/rollup.py). Every run writes the check
item conditionally too, so a late run and a rollup of its day serialise: the run either lands
before (and the rollup, conflicting, reads its hour again) or after (and, seeing its day rolled,
adds to the daily item as well). A rerun, or a run after a crash midway, starts from the stored
`rolledThrough`: no day is counted twice. Hourly items keep expiring by TTL (hourlyDays).
Days before the hourly tier's coverage cannot be summed again: they are passed over, keeping
whatever daily items they have.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from shared.domain import aggregates, history_plan
from shared.domain.aggregates import DAY_SECONDS
from shared.domain.catalog_items import AssignmentItem
from shared.domain.history_items import AggregateItem
from shared.domain.records import StateVersionConflict, expiry_epoch
from shared.domain.state_items import CheckStateItem
from shared.services.context import Collaborators

ROLLED_AFTER_DAYS = 3
DAILIES_PER_TRANSACTION = 99  # with the check item, DynamoDB's 100 items per transaction
_DAY = timedelta(days=1)


def settled_through(now: datetime) -> str:
    """The last day (bucket key) a rollup at `now` rolls."""
    return aggregates.day_key(now - timedelta(days=ROLLED_AFTER_DAYS))


def first_unrolled(check_state: CheckStateItem | None, assignment: AssignmentItem, now: datetime) -> datetime:
    """The start of the first day not yet in the daily tier (daily items before it are complete)."""
    rolled = check_state.rolled_through if check_state else None
    if rolled:
        return aggregates.parse_bucket_key(rolled) + _DAY
    return history_plan.ceil_to(_hourly_from(assignment, now), DAY_SECONDS)


def _hourly_from(assignment: AssignmentItem, now: datetime) -> datetime:
    return history_plan.coverage_of(assignment, now).hourly_from


def roll_up(c: Collaborators, assignment: AssignmentItem) -> int:
    """Roll the check's settled days into daily items; returns how many days it rolled."""
    system_id, configuration_id = assignment.system_id, assignment.configuration_id
    now = c.clock()
    last = aggregates.parse_bucket_key(settled_through(now))
    rolled = 0
    for _ in c.conflicts.tries():
        check_state = c.repository.get_check_state(system_id, configuration_id)
        if check_state is None:
            return rolled
        first = first_unrolled(check_state, assignment, now)
        if first > last:
            return rolled
        # days whose hourly items retention already took are passed over, never summed in part
        summed_from = max(first, history_plan.ceil_to(_hourly_from(assignment, now), DAY_SECONDS))
        hourly = c.repository.list_aggregates(
            "hourly",
            system_id,
            configuration_id,
            start=aggregates.bucket_key(summed_from),
            end=aggregates.bucket_key(last + _DAY - timedelta(hours=1)),
            source=None,
        )
        dailies = _dailies(hourly, assignment.retention["dailyDays"])
        version = check_state.version
        try:
            for chunk, through in _chunks(dailies, last):
                c.repository.commit_rollup(
                    system_id,
                    configuration_id,
                    dailies=chunk,
                    rolled_through=through,
                    expected_version=version,
                )
                version += 1
                rolled += (aggregates.parse_bucket_key(through) - first).days + 1
                first = aggregates.parse_bucket_key(through) + _DAY
            return rolled
        except StateVersionConflict:
            continue
    raise StateVersionConflict()


def _dailies(hourly: list[AggregateItem], daily_days: int) -> list[AggregateItem]:
    """The daily items of the hourly ones, per (day, source), in day order."""
    by_day: dict[tuple[str, str], list[AggregateItem]] = defaultdict(list)
    for item in hourly:
        day = aggregates.day_key(aggregates.parse_bucket_key(item.start))
        by_day[(day, item.source_id)].append(item)
    return [
        AggregateItem.of_counters(
            day,
            source,
            aggregates.merge_items(item.counters() for item in items),
            expiry_epoch(aggregates.parse_bucket_key(day) + _DAY, daily_days),
        )
        for (day, source), items in sorted(by_day.items())
    ]


def _chunks(dailies: list[AggregateItem], last: datetime) -> list[tuple[list[AggregateItem], str]]:
    """Transactions of whole days: each chunk's daily items and the day it rolls through; the last
    chunk rolls through `last` (days without runs have no items)."""
    by_day: dict[str, list[AggregateItem]] = defaultdict(list)
    for daily in dailies:
        by_day[daily.start].append(daily)
    chunks: list[tuple[list[AggregateItem], str]] = []
    current: list[AggregateItem] = []
    for items in by_day.values():
        if current and len(current) + len(items) > DAILIES_PER_TRANSACTION:
            chunks.append((current, current[-1].start))
            current = []
        current += items
    chunks.append((current, aggregates.bucket_key(last)))
    return chunks
