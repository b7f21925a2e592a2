"""The in-memory store of tests/fakes, charged as DynamoDB would charge the repository's calls.

`MeteredStore` answers as `MemoryStore` does (each call atomic, as DynamoDB applies one call) and
counts, for every port method the recording path uses, the DynamoDB calls the repository makes for
it and the request units their item sizes cost (bench/capacity.py rules), and each call's typical
latency (bench/latency.py). tests/integration/test_metered_store.py holds it to the repository on
moto: the same work gives the same calls and units.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from bench.capacity import item_size, read_units, write_units
from bench.latency import TYPICAL_LATENCY_MS
from shared.data import keys
from shared.data.outbox import outbox_item
from shared.data.table import plain_key, serialize
from shared.domain.catalog_items import StoredItem
from shared.domain.snapshots import RunContext, SystemSnapshot
from shared.domain.state_items import SystemStateItem


def _size(key: dict, item: dict | StoredItem | None) -> int:
    attributes = item.to_item() if isinstance(item, StoredItem) else item
    return item_size(serialize(plain_key(key) | (attributes or {})))


class MeteredStore:
    def __init__(self, store: Any) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._stats = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.write_units = 0.0
        self.read_units = 0.0
        self.simulated_seconds = 0.0
        self.largest_items: Counter[str] = Counter()  # bytes of the largest aggregate and check item

    def reset(self) -> None:
        self.calls.clear()
        self.write_units = self.read_units = self.simulated_seconds = 0.0
        self.largest_items.clear()

    def _call(self, name: str, *, writes: float = 0, reads: float = 0) -> None:
        with self._stats:
            self.calls[name] += 1
            self.write_units += writes
            self.read_units += reads
            self.simulated_seconds += TYPICAL_LATENCY_MS[name] / 1000

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._store, name)
        if not callable(target):
            return target

        def atomic(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return target(*args, **kwargs)

        return atomic

    # --- reads ---------------------------------------------------------------------------------

    def run_context(self, system_id: str, configuration_id: str, *, with_outbox: bool = True) -> RunContext:
        with self._lock:
            context = self._store.run_context(system_id, configuration_id, with_outbox=with_outbox)
        sizes = [
            _size(keys.system_key(system_id), context.system),
            _size(keys.assignment_key(system_id, configuration_id), context.assignment),
        ]
        if context.check_state:
            sizes.append(_size(keys.check_state_key(system_id, configuration_id), context.check_state))
        self._call("BatchGetItem", reads=sum(read_units(s, True) for s in sizes))
        if with_outbox:
            self._outbox_query(context.outbox)
        return context

    def outbox_of(self, system_id: str) -> list:
        with self._lock:
            entries = self._store.outbox_of(system_id)
        self._outbox_query(entries)
        return entries

    def _outbox_query(self, entries: list) -> None:
        self._call(
            "Query", reads=read_units(sum(item_size(serialize(outbox_item(e))) for e in entries), True)
        )

    def get_state(self, system_id: str) -> SystemStateItem | None:
        with self._lock:
            state = self._store.get_state(system_id)
        self._call("GetItem", reads=read_units(_size(keys.system_state_key(system_id), state), True))
        return state

    def system_snapshot(self, system_id: str) -> SystemSnapshot:
        with self._lock:
            snapshot = self._store.system_snapshot(system_id)
        sizes = [_size(keys.system_key(system_id), snapshot.system)]
        sizes.append(_size(keys.system_state_key(system_id), snapshot.state))
        sizes += [_size(keys.assignment_key(system_id, a.configuration_id), a) for a in snapshot.assignments]
        sizes += [_size(keys.check_state_key(system_id, k), v) for k, v in snapshot.check_states.items()]
        sizes += [item_size(serialize(outbox_item(e))) for e in snapshot.outbox]
        self._call("Query", reads=read_units(sum(sizes), True))
        return snapshot

    # --- writes --------------------------------------------------------------------------------

    def commit_run(self, commit: Any) -> None:
        run = commit.run
        sizes = [
            _size(keys.run_item_key(run), run.to_item()),
            _size(
                keys.check_state_key(run.system_id, run.configuration_id),
                commit.check_state,
            ),
        ]
        sizes += _timeline_sizes(run.system_id, commit.check_transitions, commit.stale_days)
        if commit.outbox:
            sizes.append(item_size(serialize(outbox_item(commit.outbox))))
        try:
            with self._lock:
                self._store.commit_run(commit)
                # an update is charged by the larger of the item before and after: the whole
                # aggregate item with its latency bins, not the counters one run adds
                aggregate_sizes = [
                    _aggregate_size(run, a, self._stored_aggregate(run, a)) for a in commit.aggregates
                ]
        except Exception:
            self._call("TransactWriteItems")
            raise
        with self._stats:
            self.largest_items["aggregate"] = max(self.largest_items["aggregate"], *aggregate_sizes, 0)
            self.largest_items["check"] = max(self.largest_items["check"], sizes[1])
        self._call("TransactWriteItems", writes=sum(2 * write_units(s) for s in [*sizes, *aggregate_sizes]))

    def _stored_aggregate(self, run: Any, aggregate: Any) -> dict:
        stored = getattr(self._store, "aggregates", {})
        key = (aggregate.tier, run.system_id, run.configuration_id, aggregate.start, aggregate.source_id)
        return stored.get(key, {})

    def store_state(self, system_id: str, state: SystemStateItem, **parts: Any) -> None:
        sizes = [_size(keys.system_state_key(system_id), state)]
        if parts.get("transition"):
            sizes.append(item_size(serialize(parts["transition"].to_item())) + 60)
        if parts.get("outbox"):
            sizes.append(item_size(serialize(outbox_item(parts["outbox"]))))
        sizes += [
            _size(keys.check_state_key(system_id, item.configuration_id), item)
            for item, _ in parts.get("check_states", ())
        ]
        sizes += _timeline_sizes(system_id, parts.get("check_transitions", ()), parts.get("stale_days", ()))
        single = len(sizes) == 1
        try:
            with self._lock:
                self._store.store_state(system_id, state, **parts)
        except Exception:
            self._call("PutItem" if single else "TransactWriteItems")
            raise
        self._call(
            "PutItem" if single else "TransactWriteItems",
            writes=sum((1 if single else 2) * write_units(s) for s in sizes),
        )

    def delete_outbox(self, entries: list) -> None:
        self._call(
            "BatchWriteItem", writes=sum(write_units(item_size(serialize(outbox_item(e)))) for e in entries)
        )
        with self._lock:
            self._store.delete_outbox(entries)

    def hold_outbox(self, entries: list, *, until: str) -> None:
        for entry in entries:
            self._call("UpdateItem", writes=write_units(item_size(serialize(outbox_item(entry)))))
        with self._lock:
            self._store.hold_outbox(entries, until=until)


def _timeline_sizes(system_id: str, check_transitions: Any, stale_days: Any) -> list[int]:
    """Check transition items as written, and each stale day's summary as its version bump (the
    stored summary itself may be larger: DynamoDB charges an update by the larger of the two)."""
    sizes = [
        _size(keys.check_transition_key(system_id, t.configuration_id, t.at, t.check_version), t.to_item())
        for t in check_transitions
    ]
    sizes += [
        _size(keys.availability_day_key(system_id, day), {"version": 1, "dirty": True})
        for day in dict.fromkeys(stale_days)
    ]
    return sizes


def _aggregate_size(run: Any, aggregate: Any, stored: dict | None = None) -> int:
    key = keys.aggregate_key(
        aggregate.tier, run.system_id, run.configuration_id, aggregate.start, aggregate.source_id
    )
    attributes = (stored or {}) | {
        name: value for name, value in aggregate.increments.items() if name not in (stored or {})
    }
    attributes |= {
        "expiresAt": aggregate.expires_at,
        "start": aggregate.start,
        "sourceId": aggregate.source_id,
    }
    return _size(key, attributes)


class MeteredCache:
    """The DynamoDB-TTL status cache's invalidation as calls: one DeleteItem of a small item."""

    max_staleness_seconds = 18.0

    def __init__(self, store: MeteredStore) -> None:
        self._store = store

    def invalidate(self, key: str) -> bool:
        self._store._call("DeleteItem", writes=1)
        return True

    def invalidate_family(self) -> bool:
        return self.invalidate("*")
