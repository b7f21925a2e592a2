"""The daily retention pass, in steps that fit any number of invocations.

TTL does the everyday deleting for free: every run and aggregate carries `expiresAt` = its time +
its assignment's retention + a slack of TTL_SLACK_DAYS, and reads ignore what lies past the
retention. The pass only does what TTL cannot:

1. tombstones first: each deletion of a system or an assignment (a deleted configuration leaves one
   per assignment) purges the history stored *before* its `deletedAt`, so a system re-created with
   the same id keeps its new history, and a second deletion has its own tombstone;
2. assignments whose retention changed since their items were stored (`storedRetention`):
   a shortened tier loses the items past the new retention now, a lengthened one has its items'
   expiry moved before TTL (held off by the slack) can take them, and `historyFloors` records
   from when the lengthened tier is complete.

Keys are read a page at a time (keys only) and deleted as they come. The checkpoint (phase,
assignment page, the assignment and partition position in progress) is saved after every step, so
an invocation that runs short of time stops and the next one continues where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared.domain import history_plan
from shared.domain.aggregates import DAY_SECONDS, HOUR_SECONDS, day_key
from shared.domain.catalog_items import AssignmentItem
from shared.domain.records import CheckpointMovedError, expiry_epoch
from shared.domain.wire import format_timestamp, parse_timestamp
from shared.observability import logger
from shared.services import rollup
from shared.services.context import Collaborators
from shared.services.ports import RetentionStore, SweepCheckpointStore

SWEEP = "retention"
HISTORY_TIERS = ("raw", "hourly", "daily")
ASSIGNMENTS_PER_PAGE = 100
TOMBSTONES_PER_PAGE = 25
KEYS_PER_PAGE = 500
# One step is a page of keys: at most ~0.5 s of deletes, ~3 s of expiry moves at typical latencies.
SAFETY_SECONDS = 30.0
ParallelMap = Callable[[Callable, list], list]


@dataclass
class RetentionReport:
    finished: bool = True
    deleted: int = 0
    extended: int = 0
    purged: list[str] = field(default_factory=list)
    assignments: int = 0
    taken_over: bool = False  # another invocation moved the checkpoint: it goes on, this one stops


class _OutOfTime(Exception):
    pass


@dataclass
class _Pass:
    c: Collaborators
    store: RetentionStore
    checkpoints: SweepCheckpointStore
    checkpoint: dict
    time_left: Callable[[], float]
    parallel_map: ParallelMap
    report: RetentionReport

    def save(self) -> None:
        state = {k: v for k, v in self.checkpoint.items() if k != "version"}
        self.checkpoint["version"] = self.checkpoints.save(
            SWEEP, state, expected_version=self.checkpoint.get("version")
        )

    def step(self) -> None:
        """Called before each unit of work: stop (checkpoint kept) when time runs short."""
        if self.time_left() < SAFETY_SECONDS:
            raise _OutOfTime()


def apply_retention(
    c: Collaborators,
    store: RetentionStore,
    checkpoints: SweepCheckpointStore,
    *,
    time_left: Callable[[], float] = lambda: float("inf"),
    parallel_map: ParallelMap = lambda f, items: [f(i) for i in items],
) -> RetentionReport:
    """Run today's retention pass, or continue the one a previous invocation left unfinished;
    `finished` is False when time ran out (the checkpoint says where)."""
    report = RetentionReport()
    today = day_key(c.clock())[:10]
    checkpoint = checkpoints.load(SWEEP)
    if checkpoint is not None and checkpoint["phase"] == "done" and checkpoint["passDay"] >= today:
        return report
    run = _Pass(c, store, checkpoints, checkpoint or {}, time_left, parallel_map, report)
    if checkpoint is None or checkpoint["phase"] == "done":
        run.checkpoint |= {"passDay": today, "phase": "tombstones", "cursor": None, "task": None}
        run.save()
    try:
        if run.checkpoint["phase"] == "tombstones":
            _purge_tombstones(run)
            run.checkpoint |= {"phase": "assignments", "cursor": None, "task": None}
            run.save()
        _enforce_assignments(run)
        run.checkpoint |= {"phase": "done", "cursor": None, "task": None}
        run.save()
    except _OutOfTime:
        run.save()
        report.finished = False
    except CheckpointMovedError:
        logger.warning("retention pass taken over by another invocation")
        report.finished = False
        report.taken_over = True
    logger.info(
        "retention step",
        finished=report.finished,
        deleted=report.deleted,
        extended=report.extended,
        purged=len(report.purged),
        assignments=report.assignments,
    )
    return report


# --- tombstones ----------------------------------------------------------------------------------


def _purge_tombstones(run: _Pass) -> None:
    while True:
        run.step()
        tombstones = run.store.tombstones(limit=TOMBSTONES_PER_PAGE)
        if not tombstones:
            return
        for tombstone in tombstones:
            _purge(run, tombstone)
            run.store.delete_tombstone(tombstone["sk"])
            run.c.cache.invalidate(tombstone["systemId"])
            run.report.purged.append(tombstone["sk"])


def _purge(run: _Pass, tombstone: dict) -> None:
    """Delete what the deleted system or assignment stored before its deletion (restartable:
    every step deletes from the start of what is left)."""
    system_id, before = tombstone["systemId"], tombstone.get("deletedAt")
    partitions = []
    for configuration_id in tombstone.get("configurationIds", []):
        partitions += [
            run.store.history_partition(tier, system_id, configuration_id) for tier in HISTORY_TIERS
        ]
        partitions.append(run.store.check_transitions_partition(system_id, configuration_id))
    if tombstone.get("kind", "system") == "system":
        partitions += run.store.system_partitions(system_id)
    task = run.checkpoint.get("task") or {}
    done = task.get("partitions", 0) if task.get("tombstone") == tombstone["sk"] else 0
    for index, partition in enumerate(partitions[done:], start=done):
        run.checkpoint["task"] = {"tombstone": tombstone["sk"], "partitions": index}
        _delete_before(run, partition, before)
    run.checkpoint["task"] = None


def _delete_before(run: _Pass, partition: str, before: str | None) -> None:
    while True:
        run.step()
        page = run.store.key_page(partition, before=before, limit=KEYS_PER_PAGE)
        if not page.items:
            return
        run.store.delete_keys(partition, [i["sk"] for i in page.items])
        run.report.deleted += len(page.items)


# --- assignments ---------------------------------------------------------------------------------


def _enforce_assignments(run: _Pass) -> None:
    while True:
        run.step()
        page = run.c.repository.list_assignments_page(
            limit=ASSIGNMENTS_PER_PAGE, cursor=run.checkpoint["cursor"]
        )
        task = run.checkpoint.get("task") or {}
        for assignment in page.items:
            position = f"{assignment.system_id}#{assignment.configuration_id}"
            if task and position < task["assignment"]:
                continue
            rollup.roll_up(run.c, assignment)  # daily aggregates of settled days (services/rollup.py)
            _enforce(run, assignment, task if task.get("assignment") == position else {})
            task = {}
            run.report.assignments += 1
        if not page.next_cursor:
            return
        run.checkpoint |= {"cursor": page.next_cursor, "task": None}
        run.save()


def _enforce(run: _Pass, assignment: AssignmentItem, task: dict) -> None:
    asked = assignment.retention
    stored = assignment.stored_retention or asked
    if all(asked[f"{t}Days"] == stored[f"{t}Days"] for t in HISTORY_TIERS):
        return
    now = run.c.clock()
    floors = dict(assignment.history_floors or {})
    position = f"{assignment.system_id}#{assignment.configuration_id}"
    for tier in HISTORY_TIERS:
        if task and HISTORY_TIERS.index(tier) < HISTORY_TIERS.index(task["tier"]):
            continue
        new_days, old_days = asked[f"{tier}Days"], stored[f"{tier}Days"]
        partition = run.store.history_partition(tier, assignment.system_id, assignment.configuration_id)
        resume_after = task.get("after") if task.get("tier") == tier else None
        run.checkpoint["task"] = {"assignment": position, "tier": tier, "after": resume_after}
        if new_days < old_days:
            _delete_before(run, partition, _cutoff_key(tier, now - timedelta(days=new_days)))
        elif new_days > old_days:
            _move_expiry(run, partition, new_days, resume_after)
            floor = format_timestamp(now - timedelta(days=old_days))
            floors[tier] = max(floors.get(tier, floor), floor)
        task = {}
    run.store.record_stored_retention(
        assignment.system_id,
        assignment.configuration_id,
        seen_version=assignment.version,
        stored=asked,
        floors=floors,
    )
    run.checkpoint["task"] = None


def _cutoff_key(tier: str, moment: datetime) -> str:
    """The sort key before which a tier's items are past retention (as reads see it)."""
    if tier == "raw":
        return format_timestamp(moment)
    width = HOUR_SECONDS if tier == "hourly" else DAY_SECONDS
    return history_plan.ceil_to(moment, width).strftime("%Y-%m-%dT%H:%M:%SZ")


def _move_expiry(run: _Pass, partition: str, days: int, after: str | None) -> None:
    while True:
        run.step()
        page = run.store.key_page(partition, after=after, limit=KEYS_PER_PAGE)
        sort_keys = [i["sk"] for i in page.items]
        run.parallel_map(
            lambda sk: run.store.set_expiry(partition, sk, expiry_epoch(_moment(sk), days)), sort_keys
        )
        run.report.extended += len(sort_keys)
        if not page.next_cursor:
            return
        after = page.next_cursor
        run.checkpoint["task"]["after"] = after
        run.save()


def _moment(sort_key: str) -> datetime:
    return parse_timestamp(sort_key.split("#", 1)[0])
