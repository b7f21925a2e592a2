"""Check transitions and daily availability summaries: how recording writes them (`timeline_ops`,
joined to the transaction of the check item that made them) and what the availability reader reads."""

from __future__ import annotations

from shared.data import keys
from shared.data.base import TableBase, strip_keys
from shared.data.table import plain_key
from shared.domain.history_items import CheckTransitionItem


def timeline_ops(
    table: TableBase, system_id: str, check_transitions: list[CheckTransitionItem], stale_days: list[str]
) -> list[dict]:
    """Check transitions (each stamped with the version of the check item that made it) and a
    version bump marking each past day's availability summary stale."""
    operations = [
        table.put_op(
            plain_key(keys.check_transition_key(system_id, t.configuration_id, t.at, t.check_version))
            | t.to_item()
        )
        for t in check_transitions
    ]
    operations += [
        table.update_op(
            keys.availability_day_key(system_id, day),
            "ADD version :one SET dirty = :yes",
            {":one": 1, ":yes": True},
        )
        for day in dict.fromkeys(stale_days)
    ]
    return operations


class AvailabilityStore(TableBase):
    def list_check_transitions(
        self, system_id: str, configuration_id: str, *, start: str, end: str
    ) -> list[CheckTransitionItem]:
        """A check's transitions with `start <= at < end`, oldest first (every page)."""
        items: list[CheckTransitionItem] = []
        cursor = None
        while True:
            page = self._query_page(
                keys.check_transitions_partition(system_id, configuration_id),
                sk_between=(start, end),
                limit=1000,
                cursor=cursor,
            )
            items += [CheckTransitionItem.model_validate(i) for i in page.items if i["at"] < end]
            if not page.next_cursor:
                return items
            cursor = page.next_cursor

    def last_check_transition_before(
        self, system_id: str, configuration_id: str, moment: str
    ) -> CheckTransitionItem | None:
        """The newest transition of a check strictly before `moment`."""
        page = self._query_page(
            keys.check_transitions_partition(system_id, configuration_id),
            sk_between=("", moment),
            limit=1,
            newest_first=True,
        )
        return CheckTransitionItem.model_validate(page.items[0]) if page.items else None

    def get_availability_days(self, system_id: str, days: list[str]) -> dict[str, dict]:
        """Stored daily summaries by day (BatchGetItem, 100 a call)."""
        found = self._batch_get([keys.availability_day_key(system_id, d) for d in dict.fromkeys(days)])
        return {item["sk"]: strip_keys(item) for item in found}

    def put_availability_day(
        self, system_id: str, day: str, summary: dict, *, expected_version: int | None
    ) -> bool:
        """Store a day's summary unless a late transition bumped its version since it was read."""
        item = (
            plain_key(keys.availability_day_key(system_id, day))
            | summary
            | {"version": expected_version or 0}
        )
        if expected_version is None:
            return self._put(item, condition="attribute_not_exists(pk)")
        return self._put(item, condition="version = :v", values={":v": expected_version})
