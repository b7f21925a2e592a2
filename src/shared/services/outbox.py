"""The one outbox every event path goes through (ARCHITECTURE.md invariant 1: invalidate, then notify).

A change commits its events as an outbox entry in the system's partition — in the same transaction
when it records runs, just after the write for catalog mutations. Then the system's cached health
is invalidated; once the cache acknowledged it, the events are published and the entry deleted.

- An invalidation never acknowledged (after the cache's own retries) does not publish: the entry
  is held until no value cached before the change can still be served (TTL plus a lease), and is
  published after that, always with `cacheInvalidated: true`.
- Until its `heldUntil` an entry belongs to the writer that committed it (its `owner`: the run id
  of a local run, the satellite of a batch, "api" for mutations); after it, anyone may publish it.
  A writer that crashed between commit and publish leaves its entry owned for OWNED_FOR, longer
  than any cached value lives, so publishing it later needs no invalidation either.
- Who flushes: recordings of a system (local runs and satellite batches) publish the entries of
  that system they may publish. The outbox is read with the partition when a run changes the view,
  else by at most one recording of a check per OWNED_FOR (`sweep_due`: the check item keeps when it
  was last read); a redelivered run or a satellite's resent result publishes its own entries at once
  (the earlier attempt is over). `flush_outbox` does the same for any system (for a periodic sweep).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared.domain.records import OutboxEntry
from shared.domain.state_items import CheckStateItem
from shared.domain.wire import format_timestamp, parse_timestamp
from shared.events import Event
from shared.observability import logger, metrics
from shared.services.context import Collaborators

OWNED_FOR = timedelta(minutes=5)
KEPT_FOR = timedelta(days=30)
MUTATIONS = "api"


def new_entry(
    c: Collaborators, system_id: str, owner: str, events: Iterable[Event], entry_id: str | None = None
) -> OutboxEntry:
    """An outbox entry for events about one system, owned by its writer for OWNED_FOR."""
    now = c.clock()
    return OutboxEntry(
        system_id=system_id,
        entry_id=entry_id or str(uuid.uuid4()),
        owner=owner,
        events=[{"detailType": e.detail_type, "detail": e.detail} for e in events],
        held_until=format_timestamp(now + OWNED_FOR),
        expires_at=int((now + KEPT_FOR).timestamp()),
    )


def publishable(entries: Iterable[OutboxEntry], owner: str, now: datetime) -> list[OutboxEntry]:
    """The entries `owner` may publish now: its own, and anyone's whose hold elapsed."""
    return [e for e in entries if e.owner == owner or parse_timestamp(e.held_until) <= now]


def sweep_due(check_state: CheckStateItem | None, now: datetime) -> bool:
    """Whether a recording of this check reads its system's outbox: not read with one of its runs
    within OWNED_FOR, so a crashed writer's entry waits at most about twice its hold."""
    swept = check_state.outbox_swept_at if check_state else None
    return not swept or parse_timestamp(swept) <= now - OWNED_FOR


def swept(check_state: CheckStateItem, now: datetime) -> CheckStateItem:
    """The check item noting that its system's outbox was read at `now`."""
    return check_state.model_copy(update={"outbox_swept_at": format_timestamp(now)})


@dataclass(frozen=True)
class Delivery:
    """What one system's recording leaves to deliver: its entries, and whether its view changed."""

    system_id: str
    entries: list[OutboxEntry] = field(default_factory=list)
    view_changed: bool = False


def deliver(
    c: Collaborators, system_id: str, entries: list[OutboxEntry], *, view_changed: bool = False
) -> None:
    """Invalidate the system's cached health, then publish the entries (or hold them, see module doc).
    Nothing to publish and an unchanged view: the cache holds nothing stale, so no invalidation."""
    deliver_all(c, [Delivery(system_id, entries, view_changed)])


def deliver_all(c: Collaborators, deliveries: Iterable[Delivery]) -> None:
    """`deliver` for several systems (a satellite batch): each system invalidated first, then what may
    go out published together (ten events a PutEvents call) and its entries deleted together."""
    settled = [
        (d.entries, c.cache.invalidate(d.system_id)) for d in deliveries if d.entries or d.view_changed
    ]
    _settle(c, settled)


def publish_change(
    c: Collaborators, events: list[Event], *, system_ids: Iterable[str] = (), every_system: bool = False
) -> None:
    """Commit a catalog mutation's events to the outbox (one entry per system), invalidate the systems
    it touched (or every system), then publish them."""
    by_system: dict[str, list[Event]] = {system_id: [] for system_id in system_ids}
    for event in events:
        by_system.setdefault(event.detail["systemId"], []).append(event)
    entries = [new_entry(c, system_id, MUTATIONS, found) for system_id, found in by_system.items() if found]
    if entries:
        c.repository.put_outbox(entries)
    if every_system:
        _settle(c, [(entries, c.cache.invalidate_family())])
        return
    for system_id in by_system:
        mine = [e for e in entries if e.system_id == system_id]
        acknowledged = c.cache.invalidate(system_id)
        if mine:
            _settle(c, [(mine, acknowledged)])


def flush_outbox(c: Collaborators, system_id: str) -> None:
    """Publish the system's entries whose hold elapsed (left by a crash or a cache partition)."""
    due = publishable(c.repository.outbox_of(system_id), owner="", now=c.clock())
    if due:
        _settle(c, [(due, False)])


def _settle(c: Collaborators, settled: list[tuple[list[OutboxEntry], bool]]) -> None:
    """Publish the entries whose invalidation was acknowledged or whose hold elapsed, hold the rest;
    `settled`: (entries, acknowledged) per invalidation."""
    now = c.clock()
    ready: list[OutboxEntry] = []
    held: list[OutboxEntry] = []
    for entries, acknowledged in settled:
        for entry in entries:
            (ready if acknowledged or parse_timestamp(entry.held_until) <= now else held).append(entry)
    if ready:
        c.publisher.publish(
            [Event(e["detailType"], e["detail"]).acknowledged(True) for entry in ready for e in entry.events]
        )
        c.repository.delete_outbox(ready)
    if held:
        until = now + timedelta(seconds=c.cache.max_staleness_seconds)
        c.repository.hold_outbox(held, until=format_timestamp(until))
        metrics.add_metric(name="EventsHeld", unit="Count", value=sum(len(e.events) for e in held))
        logger.warning("events held until the cache can no longer be stale", entries=len(held))
