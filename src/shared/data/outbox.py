"""The outbox: events committed with the change that caused them, in the system's partition, so the
consistent snapshot every recording reads sees them. Deleted once published (see services/outbox)."""

from __future__ import annotations

from shared.data import keys
from shared.data.base import TableBase
from shared.data.table import plain_key
from shared.domain.records import OutboxEntry


def outbox_item(entry: OutboxEntry) -> dict:
    return plain_key(keys.outbox_key(entry.system_id, entry.entry_id)) | {
        "systemId": entry.system_id,
        "entryId": entry.entry_id,
        "owner": entry.owner,
        "events": entry.events,
        "heldUntil": entry.held_until,
        "expiresAt": entry.expires_at,
    }


def outbox_entry(item: dict) -> OutboxEntry:
    return OutboxEntry(
        system_id=item["systemId"],
        entry_id=item["entryId"],
        owner=item["owner"],
        events=item.get("events", []),
        held_until=item["heldUntil"],
        expires_at=item["expiresAt"],
    )


class OutboxStore(TableBase):
    def put_outbox(self, entries: list[OutboxEntry]) -> None:
        """Store entries of a change that committed without them (mutations of the catalog)."""
        self._batch_write(puts=[outbox_item(e) for e in entries])

    def outbox_of(self, system_id: str) -> list[OutboxEntry]:
        """The system's unpublished entries, strongly consistent."""
        items = self._query_all(keys.system_partition(system_id), sk_prefix=keys.OUTBOX_PREFIX)
        return [outbox_entry(i) for i in items]

    def hold_outbox(self, entries: list[OutboxEntry], *, until: str) -> None:
        """Let anyone publish these entries from `until` on (never later than they already could)."""
        for entry in entries:
            self._update(
                keys.outbox_key(entry.system_id, entry.entry_id),
                "SET heldUntil = :until",
                # An entry someone else published meanwhile is gone: do not bring it back.
                condition="attribute_exists(pk) AND heldUntil > :until",
                values={":until": until},
            )

    def delete_outbox(self, entries: list[OutboxEntry]) -> None:
        """Drop published entries."""
        self._batch_write(deletes=[keys.outbox_key(e.system_id, e.entry_id) for e in entries])
