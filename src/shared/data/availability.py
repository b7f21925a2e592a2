"""Check transitions and daily availability summaries, as the availability reader needs them."""

from __future__ import annotations

from shared.data import keys
from shared.data.base import TableBase, strip_keys
from shared.data.table import plain_key


class AvailabilityStore(TableBase):
    def list_check_transitions(
        self, system_id: str, configuration_id: str, *, start: str, end: str
    ) -> list[dict]:
        """A check's transitions with `start <= at < end`, oldest first (every page)."""
        items: list[dict] = []
        cursor = None
        while True:
            page = self._query_page(
                keys.check_transitions_partition(system_id, configuration_id),
                sk_between=(start, end),
                limit=1000,
                cursor=cursor,
            )
            items += [strip_keys(i) for i in page.items if i["at"] < end]
            if not page.next_cursor:
                return items
            cursor = page.next_cursor

    def last_check_transition_before(self, system_id: str, configuration_id: str, moment: str) -> dict | None:
        """The newest transition of a check strictly before `moment`."""
        page = self._query_page(
            keys.check_transitions_partition(system_id, configuration_id),
            sk_between=("", moment),
            limit=1,
            newest_first=True,
        )
        return strip_keys(page.items[0]) if page.items else None

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
