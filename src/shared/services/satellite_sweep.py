"""The offline-satellite sweep: systems of satellites that went silent are re-evaluated, so their
slices read unknown instead of keeping a last status.

A sweep may span several invocations: the silent satellites it handles and the last system it
re-evaluated (systems go in id order) are checkpointed after every step, and a satellite is
marked handled only once all its systems were re-evaluated. Each system is re-evaluated once
per sweep however many of its satellites went silent: at most one `System Health Changed` each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from shared.domain.records import CheckpointMovedError
from shared.observability import logger
from shared.services import outbox
from shared.services.context import Collaborators
from shared.services.health_state import reevaluate_systems
from shared.services.ports import SweepCheckpointStore

SWEEP = "offline-satellites"
SYSTEMS_PER_STEP = 25
SATELLITES_PER_PAGE = 100
# One step re-evaluates SYSTEMS_PER_STEP systems (~0.8 s at typical latencies); stop well before.
SAFETY_SECONDS = 10.0


@dataclass
class SweepReport:
    finished: bool = True
    reevaluated: list[str] = field(default_factory=list)


def sweep_offline_satellites(
    c: Collaborators,
    checkpoints: SweepCheckpointStore,
    *,
    time_left: Callable[[], float] = lambda: float("inf"),
) -> SweepReport:
    """Re-evaluate the systems of newly silent satellites, resuming a sweep a previous invocation
    left unfinished; `finished` is False when time ran out (the checkpoint says where)."""
    report = SweepReport()
    checkpoint = checkpoints.load(SWEEP)
    if checkpoint is None:
        silent = _newly_silent(c)
        if not silent:
            return report
        checkpoint = {"satellites": silent, "doneThrough": ""}
        checkpoint["version"] = checkpoints.save(SWEEP, checkpoint, expected_version=None)
    satellites: dict[str, str] = checkpoint["satellites"]
    systems = sorted(
        {s for satellite_id in satellites for s, _ in c.repository.satellite_links(satellite_id)}
    )
    pending = [s for s in systems if s > checkpoint["doneThrough"]]
    try:
        for start in range(0, len(pending), SYSTEMS_PER_STEP):
            if time_left() < SAFETY_SECONDS:
                logger.info("offline sweep paused", remaining_systems=len(pending) - start)
                report.finished = False
                return report
            step = pending[start : start + SYSTEMS_PER_STEP]
            _reevaluate(c, step)
            report.reevaluated += step
            checkpoint["doneThrough"] = step[-1]
            checkpoint["version"] = checkpoints.save(
                SWEEP, _state(checkpoint), expected_version=checkpoint["version"]
            )
        for satellite_id, last_seen_at in satellites.items():
            c.repository.mark_offline_handled(satellite_id, last_seen_at or None)
        checkpoints.clear(SWEEP, expected_version=checkpoint["version"])
    except CheckpointMovedError:
        logger.warning("offline sweep taken over by another invocation")
        report.finished = False
    return report


def _newly_silent(c: Collaborators) -> dict[str, str]:
    """Silent satellites not yet handled, with the lastSeenAt their handling is conditional on."""
    now = c.clock()
    found: dict[str, str] = {}
    cursor = None
    while True:
        page = c.repository.list_satellites(limit=SATELLITES_PER_PAGE, cursor=cursor)
        for satellite in page.items:
            if satellite.offline_handled or not satellite.offline_at(now):
                continue
            found[satellite.id] = satellite.last_seen_at or ""
        if not page.next_cursor:
            return found
        cursor = page.next_cursor


def _reevaluate(c: Collaborators, system_ids: list[str]) -> None:
    outbox.publish_change(c, reevaluate_systems(c, system_ids), system_ids=system_ids)


def _state(checkpoint: dict) -> dict:
    return {"satellites": checkpoint["satellites"], "doneThrough": checkpoint["doneThrough"]}
