"""Runs, health state, aggregates and transitions.

A recorded run is one transaction: the run item (conditional on absence: it is the run's
idempotency marker, filed under a time fixed per request), its hourly aggregate counters (atomic
ADD, so never double counted; the daily ones too only for a day already rolled up, see
services/rollup.py), its check's state item (conditional on its version) and, when the check's
evaluated status moved, its check transitions (at the run's time) and an outbox entry when it has
events. The system state is stored apart, only when its view changes (conditional on its
version), with the transition when its status changed.
"""

from __future__ import annotations

from shared.data import keys
from shared.data.availability import timeline_ops
from shared.data.base import TableBase, TransactionConflict, strip_keys
from shared.data.outbox import outbox_item
from shared.data.table import plain_key
from shared.domain.catalog_items import AssignmentItem, SystemItem
from shared.domain.history_items import AggregateItem, CheckTransitionItem, RunItem, TransitionItem
from shared.domain.records import (
    AggregateIncrement,
    DuplicateRunError,
    OutboxEntry,
    Page,
    RunCommit,
    StateVersionConflict,
)
from shared.domain.snapshots import RunContext
from shared.domain.state_items import CheckStateItem, SystemStateItem


class HistoryStore(TableBase):
    # --- recording -----------------------------------------------------------------------

    def run_context(self, system_id: str, configuration_id: str, *, with_outbox: bool = True) -> RunContext:
        """What recording one run reads: the system, the assignment and the check's state item (one
        consistent BatchGetItem); the system's outbox entries only when asked (one Query)."""
        wanted = [
            keys.system_key(system_id),
            keys.assignment_key(system_id, configuration_id),
            keys.check_state_key(system_id, configuration_id),
        ]
        found = {(i["pk"], i["sk"]): strip_keys(i) for i in self._batch_get(wanted)}
        system, assignment, check_state = (found.get((k["pk"]["S"], k["sk"]["S"])) for k in wanted)
        return RunContext(
            system=SystemItem.model_validate(system) if system else None,
            assignment=AssignmentItem.model_validate(assignment) if assignment else None,
            check_state=CheckStateItem.model_validate(check_state) if check_state else None,
            outbox=self.outbox_of(system_id) if with_outbox else [],
        )

    def commit_run(self, commit: RunCommit) -> None:
        """Write a run and everything it changes in one transaction (see module docstring)."""
        run = commit.run
        operations = [self._run_op(run)]
        operations += [self._aggregate_op(run.system_id, run.configuration_id, a) for a in commit.aggregates]
        operations.append(self._check_state_op(commit.check_state, commit.expected_check_version))
        operations += timeline_ops(self, run.system_id, commit.check_transitions, commit.stale_days)
        if commit.outbox:
            operations.append(self.put_op(outbox_item(commit.outbox)))
        try:
            self._transact(operations)
        except TransactionConflict as conflict:
            if conflict.reasons and conflict.reasons[0] == "ConditionalCheckFailed":
                raise DuplicateRunError() from conflict
            raise StateVersionConflict() from conflict

    def store_state(
        self,
        system_id: str,
        state: SystemStateItem,
        *,
        expected_version: int | None,
        transition: TransitionItem | None = None,
        outbox: OutboxEntry | None = None,
        check_states: list[tuple[CheckStateItem, int | None]] = (),
        check_transitions: list[CheckTransitionItem] = (),
        stale_days: list[str] = (),
    ) -> None:
        """Write a recomputed system state, its transition and the outbox entry of its event, with the
        check items it moved (each conditional on its version) and their check transitions."""
        operations = [self._state_op(system_id, state, expected_version)]
        operations += [self._check_state_op(item, expected) for item, expected in check_states]
        operations += timeline_ops(self, system_id, check_transitions, stale_days)
        if transition:
            operations.append(
                self.put_op(
                    plain_key(keys.transition_key(system_id, transition.at, state.version))
                    | transition.to_item()
                )
            )
        if outbox:
            operations.append(self.put_op(outbox_item(outbox)))
        if len(operations) == 1:
            # Alone, a conditional put costs half the write units of a one-item transaction.
            item = plain_key(keys.system_state_key(system_id)) | state.to_item()
            if expected_version is None:
                written = self._put(item, condition="attribute_not_exists(pk)")
            else:
                written = self._put(item, condition="version = :v", values={":v": expected_version})
            if not written:
                raise StateVersionConflict()
            return
        try:
            self._transact(operations)
        except TransactionConflict as conflict:
            raise StateVersionConflict() from conflict

    def _state_op(self, system_id: str, state: SystemStateItem, expected_version: int | None) -> dict:
        item = plain_key(keys.system_state_key(system_id)) | state.to_item()
        if expected_version is None:
            return self.put_op(item, "attribute_not_exists(pk)")
        # The system must still exist: a run for a deleted system must not resurrect its state.
        return self.put_op(item, "version = :v", {":v": expected_version})

    def _check_state_op(self, check_state: CheckStateItem, expected_version: int | None) -> dict:
        key = plain_key(keys.check_state_key(check_state.system_id, check_state.configuration_id))
        item = key | check_state.to_item()
        if expected_version is None:
            return self.put_op(item, "attribute_not_exists(pk)")
        return self.put_op(item, "version = :v", {":v": expected_version})

    def _run_op(self, run: RunItem) -> dict:
        # the run item is the run's idempotency marker: written only if absent
        return self.put_op(plain_key(keys.run_item_key(run)) | run.to_item(), "attribute_not_exists(pk)")

    def _aggregate_op(self, system_id: str, configuration_id: str, aggregate: AggregateIncrement) -> dict:
        key = keys.aggregate_key(
            aggregate.tier, system_id, configuration_id, aggregate.start, aggregate.source_id
        )
        names = {f"#a{i}": name for i, name in enumerate(aggregate.increments)}
        values = {f":a{i}": value for i, value in enumerate(aggregate.increments.values())}
        additions = ", ".join(f"#a{i} :a{i}" for i in range(len(names)))
        expression = f"ADD {additions} SET expiresAt = :expires, #start = :start, sourceId = :source"
        names["#start"] = "start"
        values |= {
            ":expires": aggregate.expires_at,
            ":start": aggregate.start,
            ":source": aggregate.source_id,
        }
        return self.update_op(key, expression, values, names)

    def known_run_ids(self, runs: list[RunItem]) -> set[str]:
        """Which of these runs (items) were recorded before: their run items exist (BatchGetItem)."""
        wanted = {(k["pk"]["S"], k["sk"]["S"]): k for k in map(keys.run_item_key, runs)}
        found = self._batch_get(list(wanted.values()))
        return {item["runId"] for item in found}

    def put_runs(self, runs: list[RunItem]) -> int:
        """Write run items in batches (idempotent: a run's key is fixed by its request and id)."""
        return self._batch_write(puts=[plain_key(keys.run_item_key(r)) | r.to_item() for r in runs])

    def commit_run_batch(
        self,
        system_id: str,
        *,
        runs: list[RunItem],
        aggregates: list[tuple[str, AggregateIncrement]],
        check_states: list[tuple[CheckStateItem, int | None]],
        state: SystemStateItem | None,
        expected_state_version: int | None,
        transitions: list[tuple[TransitionItem, int]],
        outbox: OutboxEntry | None,
        check_transitions: list[CheckTransitionItem] = (),
        stale_days: list[str] = (),
    ) -> None:
        """Many runs of one system in one transaction: their run items (each conditional on absence),
        summed aggregate counters (each with its check's id), the check items they changed (each
        conditional on its version), the state when its view changed (conditional on its version),
        transitions, the check transitions of the check items and an outbox entry holding the events
        to publish. Any failed condition cancels all of it."""
        operations = [self._run_op(r) for r in runs]
        operations += [self._aggregate_op(system_id, check, a) for check, a in aggregates]
        operations += [self._check_state_op(item, expected) for item, expected in check_states]
        if state is not None:
            operations.append(self._state_op(system_id, state, expected_state_version))
        operations += [
            self.put_op(plain_key(keys.transition_key(system_id, t.at, state_version)) | t.to_item())
            for t, state_version in transitions
        ]
        operations += timeline_ops(self, system_id, check_transitions, stale_days)
        if outbox is not None:
            operations.append(self.put_op(outbox_item(outbox)))
        try:
            self._transact(operations)
        except TransactionConflict as conflict:
            if "ConditionalCheckFailed" in conflict.reasons[: len(runs)]:
                raise DuplicateRunError() from conflict
            raise StateVersionConflict() from conflict

    # --- reading -------------------------------------------------------------------------

    def get_state(self, system_id: str) -> SystemStateItem | None:
        """A system's state item (strongly consistent), or None."""
        item = self._get(keys.system_state_key(system_id))
        return SystemStateItem.model_validate(strip_keys(item)) if item else None

    def get_states(self, system_ids: list[str]) -> dict[str, SystemStateItem]:
        """Strongly consistent BatchGetItem of state items: ceil(N/100) calls, never one per system."""
        found = self._batch_get([keys.system_state_key(s) for s in dict.fromkeys(system_ids)])
        return {
            item["pk"].removeprefix("SYSTEM#"): SystemStateItem.model_validate(strip_keys(item))
            for item in found
        }

    def list_runs(
        self,
        system_id: str,
        configuration_id: str,
        *,
        start: str,
        end: str,
        source: str | None,
        status: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[RunItem]:
        filters, values, names = [], {}, {}
        if source:
            filters.append("sourceId = :source")
            values[":source"] = source
        if status:
            filters.append("#status = :status")
            values[":status"] = status
            names["#status"] = "status"
        page = self._query_page(
            keys.runs_partition(system_id, configuration_id),
            sk_between=(start, end + "~"),
            limit=limit,
            cursor=cursor,
            newest_first=True,
            filter_expression=" AND ".join(filters) or None,
            filter_values=values or None,
            filter_names=names or None,
        )
        return Page([RunItem.model_validate(i) for i in page.items], page.next_cursor)

    def list_aggregates(
        self, tier: str, system_id: str, configuration_id: str, *, start: str, end: str, source: str | None
    ) -> list[AggregateItem]:
        items: list[AggregateItem] = []
        cursor = None
        while True:
            page = self._query_page(
                keys.aggregate_partition(tier, system_id, configuration_id),
                sk_between=(start, end + "~"),
                limit=1000,
                cursor=cursor,
                filter_expression="sourceId = :source" if source else None,
                filter_values={":source": source} if source else None,
            )
            items.extend(AggregateItem.from_item(strip_keys(i)) for i in page.items)
            if not page.next_cursor:
                return items
            cursor = page.next_cursor

    def list_transitions(
        self,
        system_id: str,
        *,
        start: str,
        end: str,
        limit: int,
        cursor: str | None,
        newest_first: bool = True,
    ) -> Page[TransitionItem]:
        page = self._query_page(
            keys.transitions_partition(system_id),
            sk_between=(start, end + "~"),
            limit=limit,
            cursor=cursor,
            newest_first=newest_first,
        )
        return Page([TransitionItem.model_validate(i) for i in page.items], page.next_cursor)

    def last_transition_before(self, system_id: str, moment: str) -> TransitionItem | None:
        page = self._query_page(
            keys.transitions_partition(system_id), sk_between=("", moment), limit=1, newest_first=True
        )
        return TransitionItem.model_validate(page.items[0]) if page.items else None
