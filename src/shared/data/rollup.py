"""Daily aggregates rolled up from hourly ones: what the rollup reads and its one transaction.

The check item (SYSTEM#<id>/SLICE#<cfg>) carries `rolledThrough`, the last day in the daily tier.
Rolling days writes their daily items and moves `rolledThrough` in one transaction conditional on
the check item's version, which every run also writes conditionally: a run landing while days are
rolled makes the rollup (or the run) read again, never count twice or be left out.
"""

from __future__ import annotations

from shared.data import keys
from shared.data.base import TableBase, TransactionConflict, strip_keys
from shared.data.table import plain_key
from shared.domain.history_items import AggregateItem
from shared.domain.records import StateVersionConflict
from shared.domain.state_items import CheckStateItem


class RollupStore(TableBase):
    def get_check_state(self, system_id: str, configuration_id: str) -> CheckStateItem | None:
        """A check's state item (strongly consistent), or None before its first run."""
        item = self._get(keys.check_state_key(system_id, configuration_id))
        return CheckStateItem.model_validate(strip_keys(item)) if item else None

    def commit_rollup(
        self,
        system_id: str,
        configuration_id: str,
        *,
        dailies: list[AggregateItem],
        rolled_through: str,
        expected_version: int,
    ) -> None:
        """Write rolled daily items and move the
        check item's `rolledThrough`, if that item is still at `expected_version`."""
        operations = [
            # Unconditional: a day past `rolledThrough` was never rolled, so a daily item found there
            # was left by runs before daily items were rolled up, and the hourly sum replaces it.
            self.put_op(
                plain_key(keys.aggregate_key("daily", system_id, configuration_id, d.start, d.source_id))
                | d.to_item()
            )
            for d in dailies
        ]
        advance = self.update_op(
            keys.check_state_key(system_id, configuration_id),
            "SET rolledThrough = :day, version = version + :one",
            {":day": rolled_through, ":one": 1, ":v": expected_version},
        )
        advance["Update"]["ConditionExpression"] = "version = :v"
        operations.append(advance)
        try:
            self._transact(operations)
        except TransactionConflict as conflict:
            raise StateVersionConflict() from conflict
