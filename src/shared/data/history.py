"""Runs, health state, aggregates and transitions.

A recorded run is one transaction: the idempotency marker (conditional on absence), the run
item, the hourly and daily aggregate counters (atomic ADD, so never double counted), the system
state (conditional on its version) and, when the system status changed, the transition.
"""

from __future__ import annotations

from shared.data import keys
from shared.data.base import TableBase, TransactionConflict, strip_keys
from shared.data.outbox import outbox_item
from shared.data.table import plain_key
from shared.domain.records import (
    AggregateIncrement,
    DuplicateRunError,
    OutboxEntry,
    Page,
    RunCommit,
    StateVersionConflict,
)


class HistoryStore(TableBase):
    # --- recording -----------------------------------------------------------------------

    def commit_run(self, commit: RunCommit) -> None:
        """Write a run and everything it changes in one transaction (see module docstring)."""
        run = commit.run
        operations = [
            self.put_op(
                plain_key(keys.run_marker_key(run["runId"])) | commit.marker, "attribute_not_exists(pk)"
            ),
            self.put_op(
                plain_key(
                    keys.run_key(run["systemId"], run["configurationId"], run["timestamp"], run["runId"])
                )
                | run
            ),
        ]
        operations += [self._aggregate_op(run, a) for a in commit.aggregates]
        operations.append(self._state_op(run["systemId"], commit.state, commit.expected_state_version))
        if commit.transition:
            transition = commit.transition
            operations.append(
                self.put_op(
                    plain_key(keys.transition_key(run["systemId"], transition["at"], commit.state["version"]))
                    | transition
                )
            )
        operations += self.timeline_ops(
            run["systemId"], commit.state["version"], commit.check_transitions, commit.stale_days
        )
        if commit.outbox:
            operations.append(self.put_op(outbox_item(commit.outbox)))
        try:
            self._transact(operations)
        except TransactionConflict as conflict:
            if conflict.reasons and conflict.reasons[0] == "ConditionalCheckFailed":
                raise DuplicateRunError(self._get(keys.run_marker_key(run["runId"]))) from conflict
            raise StateVersionConflict() from conflict

    def store_state(
        self,
        system_id: str,
        state: dict,
        *,
        expected_version: int | None,
        transition: dict | None = None,
        check_transitions: list[dict] = (),
        stale_days: list[str] = (),
    ) -> None:
        """Write a re-evaluated state without a run (assignment or configuration changed)."""
        operations = [self._state_op(system_id, state, expected_version)]
        operations += self.timeline_ops(system_id, state["version"], check_transitions, stale_days)
        if transition:
            operations.append(
                self.put_op(
                    plain_key(keys.transition_key(system_id, transition["at"], state["version"])) | transition
                )
            )
        try:
            self._transact(operations)
        except TransactionConflict as conflict:
            raise StateVersionConflict() from conflict

    def timeline_ops(
        self, system_id: str, state_version: int, check_transitions: list[dict], stale_days: list[str]
    ) -> list[dict]:
        """Check transitions (each stamped with the state version that made it, unless it carries
        its own) and a version bump marking each past day's availability summary stale."""
        operations = [
            self.put_op(
                plain_key(
                    keys.check_transition_key(
                        system_id, t["configurationId"], t["at"], t.get("stateVersion", state_version)
                    )
                )
                | {k: v for k, v in t.items() if k != "stateVersion"}
            )
            for t in check_transitions
        ]
        operations += [
            self.update_op(
                keys.availability_day_key(system_id, day),
                "ADD version :one SET dirty = :yes",
                {":one": 1, ":yes": True},
            )
            for day in dict.fromkeys(stale_days)
        ]
        return operations

    def _state_op(self, system_id: str, state: dict, expected_version: int | None) -> dict:
        item = plain_key(keys.system_state_key(system_id)) | state
        if expected_version is None:
            return self.put_op(item, "attribute_not_exists(pk)")
        # The system must still exist: a run for a deleted system must not resurrect its state.
        return self.put_op(item, "version = :v", {":v": expected_version})

    def _aggregate_op(self, run: dict, aggregate: AggregateIncrement) -> dict:
        key = keys.aggregate_key(
            aggregate.tier, run["systemId"], run["configurationId"], aggregate.start, aggregate.source_id
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

    def known_run_ids(self, run_ids: list[str]) -> set[str]:
        """Which of these runs were recorded before (their markers exist)."""
        found = self._batch_get([keys.run_marker_key(r) for r in dict.fromkeys(run_ids)])
        return {item["runId"] for item in found}

    def put_runs(self, runs: list[dict]) -> int:
        """Write run items in batches (idempotent: a run's key is fixed by its timestamp and id)."""
        return self._batch_write(
            puts=[
                plain_key(keys.run_key(r["systemId"], r["configurationId"], r["timestamp"], r["runId"])) | r
                for r in runs
            ]
        )

    def commit_run_batch(
        self,
        system_id: str,
        *,
        run_ids: list[str],
        markers: dict,
        aggregates: list[tuple[dict, AggregateIncrement]],
        state: dict,
        expected_state_version: int | None,
        transitions: list[dict],
        outbox: OutboxEntry,
        check_transitions: list[dict] = (),
        stale_days: list[str] = (),
    ) -> None:
        """Many runs of one system in one transaction: their markers (each conditional on absence),
        summed aggregate counters, the state (conditional on its version), transitions and an outbox
        entry holding the events to publish. Any failed condition cancels all of it."""
        operations = [
            self.put_op(
                plain_key(keys.run_marker_key(r)) | markers | {"runId": r}, "attribute_not_exists(pk)"
            )
            for r in run_ids
        ]
        operations += [self._aggregate_op(run, a) for run, a in aggregates]
        operations.append(self._state_op(system_id, state, expected_state_version))
        operations += [
            self.put_op(
                plain_key(keys.transition_key(system_id, t["at"], t["stateVersion"]))
                | {k: v for k, v in t.items() if k != "stateVersion"}
            )
            for t in transitions
        ]
        operations += self.timeline_ops(system_id, state["version"], check_transitions, stale_days)
        operations.append(self.put_op(outbox_item(outbox)))
        try:
            self._transact(operations)
        except TransactionConflict as conflict:
            if "ConditionalCheckFailed" in conflict.reasons[: len(run_ids)]:
                raise DuplicateRunError(None) from conflict
            raise StateVersionConflict() from conflict

    # --- reading -------------------------------------------------------------------------

    def get_state(self, system_id: str) -> dict | None:
        item = self._get(keys.system_state_key(system_id))
        return strip_keys(item) if item else None

    def get_states(self, system_ids: list[str]) -> dict[str, dict]:
        """Strongly consistent BatchGetItem of state items: ceil(N/100) calls, never one per system."""
        found = self._batch_get([keys.system_state_key(s) for s in dict.fromkeys(system_ids)])
        return {item["pk"].removeprefix("SYSTEM#"): strip_keys(item) for item in found}

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
    ) -> Page:
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
        return Page([strip_keys(i) for i in page.items], page.next_cursor)

    def list_aggregates(
        self, tier: str, system_id: str, configuration_id: str, *, start: str, end: str, source: str | None
    ) -> list[dict]:
        items: list[dict] = []
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
            items.extend(strip_keys(i) for i in page.items)
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
    ) -> Page:
        page = self._query_page(
            keys.transitions_partition(system_id),
            sk_between=(start, end + "~"),
            limit=limit,
            cursor=cursor,
            newest_first=newest_first,
        )
        return Page([strip_keys(i) for i in page.items], page.next_cursor)

    def last_transition_before(self, system_id: str, moment: str) -> dict | None:
        page = self._query_page(
            keys.transitions_partition(system_id), sk_between=("", moment), limit=1, newest_first=True
        )
        return page.items[0] if page.items else None
