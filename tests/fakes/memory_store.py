"""The store ports of shared/services/ports.py in memory, for fast unit tests of service rules.

The catalog (memory_catalog.py), the scheduler's shards (memory_schedule.py), the credentials
(memory_credentials.py), heartbeats (memory_heartbeats.py), status pages (memory_status_pages.py), and
what recording, the outbox and availability use (runs, aggregates, state, check states, system and check
transitions, daily availability summaries, tombstones, outbox), held to the DynamoDB repository's
behaviour by tests/integration/store_contract/.
A method it lacks raises AttributeError, never guesses.
"""

from __future__ import annotations

import pickle
from dataclasses import replace
from typing import Any, TypeVar

from shared.data import keys
from shared.domain.catalog_items import AssignmentItem, SystemItem
from shared.domain.history_items import AggregateItem, CheckTransitionItem, RunItem, TransitionItem
from shared.domain.records import (
    DuplicateRunError,
    OutboxEntry,
    Page,
    RunCommit,
    StateVersionConflict,
)
from shared.domain.snapshots import CheckReads, RunContext, RunKey
from shared.domain.state_items import CheckStateItem, SystemStateItem
from tests.fakes.memory_catalog import MemoryCatalog
from tests.fakes.memory_credentials import MemoryCredentials
from tests.fakes.memory_heartbeats import MemoryHeartbeats
from tests.fakes.memory_retention import MemoryRetention
from tests.fakes.memory_schedule import MemorySchedule
from tests.fakes.memory_status_pages import MemoryStatusPages

T = TypeVar("T")


def _filed(run: dict) -> str:
    return run.get("filedAt") or run["timestamp"]


def _typed(model: type[T], item: dict | None) -> T | None:
    """The stored item as its model (a copy: the model never aliases the fake's data)."""
    return model.model_validate(_copy(item)) if item is not None else None


def _copy(value: Any) -> Any:
    """A deep copy of plain data (a pickle round trip: several times faster than copy.deepcopy)."""
    return pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))


class MemoryStore(
    MemoryCatalog, MemorySchedule, MemoryCredentials, MemoryHeartbeats, MemoryRetention, MemoryStatusPages
):
    def __init__(self) -> None:
        self.systems: dict[str, dict] = {}
        self.states: dict[str, dict] = {}
        self.check_states: dict[tuple[str, str], dict] = {}
        self.configurations: dict[str, dict] = {}
        self.assignments: dict[tuple[str, str], dict] = {}
        self.satellites: dict[str, dict] = {}
        self.runs: dict[str, dict] = {}
        self.outbox: dict[tuple[str, str], OutboxEntry] = {}
        self.transitions: list[dict] = []
        self.maintenances: dict[tuple[str, str], dict] = {}
        self.status_pages: dict = {}
        self.aggregates: dict[tuple[str, str, str, str, str], dict] = {}
        self.check_transitions: dict[tuple[str, str], dict[str, dict]] = {}
        self.availability_days: dict[tuple[str, str], dict] = {}
        self.tombstone_items: dict[str, dict] = {}
        self.api_keys: dict[str, dict] = {}
        self.rate_windows: dict[tuple[str, str], int] = {}
        self.ping_tokens: dict[str, dict] = {}
        self.heartbeats: dict[tuple[str, str], dict] = {}
        self.schedule_index: dict[tuple[str, str], dict] = {}
        self.checkpoints: dict[str, int] = {}

    # --- history -----------------------------------------------------------------------------

    def run_context(self, system_id: str, configuration_id: str, *, with_outbox: bool = True) -> RunContext:
        return RunContext(
            system=_typed(SystemItem, self.systems.get(system_id)),
            assignment=_typed(AssignmentItem, self.assignments.get((system_id, configuration_id))),
            check_state=self.get_check_state(system_id, configuration_id),
            outbox=self.outbox_of(system_id) if with_outbox else [],
        )

    def _recorded(self, run: RunItem) -> bool:
        """A run item is under this run's key (the repository's `attribute_not_exists` fails)."""
        stored = self.runs.get(run.run_id)
        return stored is not None and keys.run_item_key(RunItem.model_validate(stored)) == keys.run_item_key(
            run
        )

    def commit_run(self, commit: RunCommit) -> None:
        run = commit.run
        if self._recorded(run):
            raise DuplicateRunError()
        system_id = run.system_id
        self._check_item_versions([(commit.check_state, commit.expected_check_version)])
        self.runs[run.run_id] = _copy(run.to_item())
        self._put_check_states([(commit.check_state, commit.expected_check_version)])
        for aggregate in commit.aggregates:
            self._add_aggregate(system_id, run.configuration_id, aggregate)
        self._timeline(system_id, commit.check_transitions, commit.stale_days)
        if commit.outbox:
            self.outbox[(commit.outbox.system_id, commit.outbox.entry_id)] = commit.outbox

    def store_state(
        self,
        system_id: str,
        state: dict,
        *,
        expected_version,
        transition=None,
        outbox=None,
        check_states=(),
        check_transitions=(),
        stale_days=(),
    ) -> None:
        self._check_state_version(system_id, expected_version)
        self._check_item_versions(check_states)
        self.states[system_id] = state.to_item()
        if transition:
            self.transitions.append(transition.to_item() | {"stateVersion": state.version})
        if outbox:
            self.outbox[(outbox.system_id, outbox.entry_id)] = outbox
        self._put_check_states(check_states)
        self._timeline(system_id, check_transitions, stale_days)

    def commit_run_batch(
        self,
        system_id: str,
        *,
        runs,
        aggregates,
        state,
        expected_state_version,
        transitions,
        outbox,
        check_states=(),
        check_transitions=(),
        stale_days=(),
    ) -> None:
        if any(self._recorded(r) for r in runs):
            raise DuplicateRunError()
        self._check_item_versions(check_states)
        if state is not None:
            self._check_state_version(system_id, expected_state_version)
        for run in runs:
            self.runs[run.run_id] = _copy(run.to_item())
        for configuration_id, aggregate in aggregates:
            self._add_aggregate(system_id, configuration_id, aggregate)
        self._put_check_states(check_states)
        if state is not None:
            self.states[system_id] = state.to_item()
        self.transitions += [t.to_item() | {"stateVersion": version} for t, version in transitions]
        self._timeline(system_id, check_transitions, stale_days)
        if outbox is not None:
            self.outbox[(outbox.system_id, outbox.entry_id)] = outbox

    def put_runs(self, runs: list[RunItem]) -> int:
        for run in runs:
            self.runs.setdefault(run.run_id, _copy(run.to_item()))
        return len(runs)

    def _add_aggregate(self, system_id: str, configuration_id: str, aggregate) -> None:
        key = (aggregate.tier, system_id, configuration_id, aggregate.start, aggregate.source_id)
        item = self.aggregates.setdefault(key, {"start": aggregate.start, "sourceId": aggregate.source_id})
        for name, value in aggregate.increments.items():
            item[name] = item.get(name, 0) + value
        item["expiresAt"] = aggregate.expires_at

    def list_aggregates(
        self, tier, system_id, configuration_id, *, start, end, source
    ) -> list[AggregateItem]:
        return [
            AggregateItem.from_item(item)
            for (t, s, c, bucket, src), item in sorted(self.aggregates.items())
            if (t, s, c) == (tier, system_id, configuration_id)
            and start <= bucket <= end + "~"
            and source in (None, src)
        ]

    def _check_item_versions(self, check_states) -> None:
        for item, expected in check_states:
            current = self.check_states.get((item.system_id, item.configuration_id))
            if (current["version"] if current else None) != expected:
                raise StateVersionConflict()

    def _put_check_states(self, check_states) -> None:
        for item, _ in check_states:
            self.check_states[(item.system_id, item.configuration_id)] = item.to_item()

    def _timeline(self, system_id: str, check_transitions, stale_days) -> None:
        for t in check_transitions:
            partition = self.check_transitions.setdefault((system_id, t.configuration_id), {})
            partition[f"{t.at}#{t.check_version:012d}"] = t.to_item()
        for day in dict.fromkeys(stale_days):
            item = self.availability_days.setdefault((system_id, day), {"version": 0})
            item.update(version=item["version"] + 1, dirty=True)

    def list_check_transitions(
        self, system_id: str, configuration_id: str, *, start: str, end: str
    ) -> list[CheckTransitionItem]:
        partition = self.check_transitions.get((system_id, configuration_id), {})
        return [
            CheckTransitionItem.model_validate(partition[k])
            for k in sorted(partition)
            if start <= partition[k]["at"] < end
        ]

    def last_check_transition_before(
        self, system_id: str, configuration_id: str, moment: str
    ) -> CheckTransitionItem | None:
        partition = self.check_transitions.get((system_id, configuration_id), {})
        earlier = [k for k in sorted(partition) if partition[k]["at"] < moment]
        return CheckTransitionItem.model_validate(partition[earlier[-1]]) if earlier else None

    def get_availability_days(self, system_id: str, days: list[str]) -> dict[str, dict]:
        return {
            d: _copy(self.availability_days[(system_id, d)])
            for d in days
            if (system_id, d) in self.availability_days
        }

    def put_availability_day(self, system_id: str, day: str, summary: dict, *, expected_version) -> bool:
        current = self.availability_days.get((system_id, day))
        if (current is None) != (expected_version is None) or (
            current and current["version"] != expected_version
        ):
            return False
        self.availability_days[(system_id, day)] = _copy(summary) | {"version": expected_version or 0}
        return True

    def _check_state_version(self, system_id: str, expected_version: int | None) -> None:
        current = self.states.get(system_id)
        if expected_version is None and current is not None:
            raise StateVersionConflict()
        if expected_version is not None and (current is None or current["version"] != expected_version):
            raise StateVersionConflict()

    def known_run_ids(self, runs: list[RunItem]) -> set[str]:
        return {r.run_id for r in runs if self._recorded(r)}

    def check_reads(
        self, pairs: list[tuple[str, str]], *, runs: list[RunKey] = (), for_recording: bool = False
    ) -> CheckReads:
        assignments = self.get_assignments(pairs)
        systems = {s for s, _ in pairs} if for_recording else set()
        checks = {p: self.get_check_state(*p) for p in pairs} if for_recording else {}
        return CheckReads(
            assignments={(a.system_id, a.configuration_id): a for a in assignments},
            configurations=self.get_configurations([c for _, c in pairs]),
            systems={s: SystemItem.model_validate(self.systems[s]) for s in systems if s in self.systems},
            states={s: state for s in systems if (state := self.get_state(s)) is not None},
            check_states={p: item for p, item in checks.items() if item is not None},
            known_run_ids={r.run_id for r in runs if self._filed_under(r)},
        )

    def _filed_under(self, run: RunKey) -> bool:
        stored = self.runs.get(run.run_id)
        return stored is not None and (stored["systemId"], stored["configurationId"], _filed(stored)) == (
            run.system_id,
            run.configuration_id,
            run.filed_at,
        )

    def get_check_state(self, system_id: str, configuration_id: str) -> CheckStateItem | None:
        item = self.check_states.get((system_id, configuration_id))
        return CheckStateItem.model_validate(item) if item else None

    def commit_rollup(
        self, system_id, configuration_id, *, dailies, rolled_through, expected_version
    ) -> None:
        item = self.check_states.get((system_id, configuration_id))
        if item is None or item["version"] != expected_version:
            raise StateVersionConflict()
        for daily in dailies:
            key = ("daily", system_id, configuration_id, daily.start, daily.source_id)
            self.aggregates[key] = daily.to_item()
        item.update(rolledThrough=rolled_through, version=item["version"] + 1)

    def get_state(self, system_id: str) -> SystemStateItem | None:
        state = self.states.get(system_id)
        return SystemStateItem.model_validate(state) if state else None

    def list_runs(
        self, system_id, configuration_id, *, start, end, source, status, limit, cursor
    ) -> Page[RunItem]:
        """Newest first, `end` inclusive as the repository's key condition; the cursor is an offset."""
        found = sorted(
            (
                r
                for r in self.runs.values()
                if (r["systemId"], r["configurationId"]) == (system_id, configuration_id)
                and start <= _filed(r) <= end + "~"
                and source in (None, r.get("sourceId"))
                and status in (None, r.get("status"))
            ),
            key=lambda r: (_filed(r), r["runId"]),
            reverse=True,
        )
        offset = int(cursor or 0)
        more = offset + limit < len(found)
        page = [RunItem.model_validate(r) for r in found[offset : offset + limit]]
        return Page(page, str(offset + limit) if more else None)

    def _transitions_of(self, system_id: str) -> list[tuple[str, dict]]:
        """A system's transitions under their sort keys (time, then the state version), oldest first."""
        found = [
            (f"{t['at']}#{t.get('stateVersion', 0):012d}", t)
            for t in self.transitions
            if t["systemId"] == system_id
        ]
        return sorted(found, key=lambda keyed: keyed[0])

    def list_transitions(
        self, system_id, *, start, end, limit, cursor, newest_first=True
    ) -> Page[TransitionItem]:
        """`end` inclusive as the repository's key condition; the cursor is an offset."""
        found = [t for sk, t in self._transitions_of(system_id) if start <= sk <= end + "~"]
        if newest_first:
            found.reverse()
        offset = int(cursor or 0)
        more = offset + limit < len(found)
        page = [TransitionItem.model_validate(t) for t in found[offset : offset + limit]]
        return Page(page, str(offset + limit) if more else None)

    def last_transition_before(self, system_id: str, moment: str) -> TransitionItem | None:
        earlier = [t for sk, t in self._transitions_of(system_id) if sk <= moment]
        return TransitionItem.model_validate(earlier[-1]) if earlier else None

    def expire(self, now_epoch: int) -> None:
        """Tests: what DynamoDB TTL eventually does to items whose expiresAt passed."""
        self.runs = {k: r for k, r in self.runs.items() if r.get("expiresAt", now_epoch) >= now_epoch}
        self.aggregates = {
            k: i for k, i in self.aggregates.items() if i.get("expiresAt", now_epoch) >= now_epoch
        }

    def get_states(self, system_ids: list[str]) -> dict[str, SystemStateItem]:
        return {s: SystemStateItem.model_validate(self.states[s]) for s in system_ids if s in self.states}

    def tombstones(self, *, limit: int) -> list[dict]:
        """The oldest tombstones, each with its sort key `sk`, as the repository answers."""
        return [_copy(t) | {"sk": sk} for sk, t in sorted(self.tombstone_items.items())][:limit]

    def delete_tombstone(self, sort_key: str) -> None:
        self.tombstone_items.pop(sort_key, None)

    # --- outbox ------------------------------------------------------------------------------

    def put_outbox(self, entries: list[OutboxEntry]) -> None:
        for entry in entries:
            self.outbox[(entry.system_id, entry.entry_id)] = entry

    def outbox_of(self, system_id: str) -> list[OutboxEntry]:
        return [e for (s, _), e in sorted(self.outbox.items()) if s == system_id]

    def hold_outbox(self, entries: list[OutboxEntry], *, until: str) -> None:
        for entry in entries:
            key = (entry.system_id, entry.entry_id)
            if key in self.outbox and self.outbox[key].held_until > until:
                self.outbox[key] = replace(self.outbox[key], held_until=until)

    def delete_outbox(self, entries: list[OutboxEntry]) -> None:
        for entry in entries:
            self.outbox.pop((entry.system_id, entry.entry_id), None)
