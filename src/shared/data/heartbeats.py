"""Heartbeat checks in the single table: ping tokens (by hash), each heartbeat's deadline, and the
assignment's place in the deadline index that makes the scheduler look at that deadline."""

from __future__ import annotations

from shared.data import keys
from shared.data.base import TableBase, TransactionConflict, strip_keys
from shared.data.table import plain_key
from shared.domain.errors import NotFoundError
from shared.domain.heartbeat_items import HeartbeatItem, PingTargetItem


class HeartbeatStore(TableBase):
    def replace_ping_token(
        self, system_id: str, configuration_id: str, token_hash: str, *, previous_hash: str | None
    ) -> None:
        """Point a new token hash at a heartbeat and forget the previous one, atomically."""
        target = PingTargetItem(system_id=system_id, configuration_id=configuration_id).to_item()
        operations = [
            # An unassign in between would otherwise leave a token pointing at nothing, and alive again
            # once the check is assigned anew.
            self.check_op(keys.assignment_key(system_id, configuration_id), "attribute_exists(pk)"),
            self.put_op(plain_key(keys.ping_token_key(token_hash)) | target),
        ]
        if previous_hash and previous_hash != token_hash:
            operations.append(self.delete_op(keys.ping_token_key(previous_hash)))
        operations.append(
            self.update_op(
                keys.heartbeat_key(system_id, configuration_id),
                "SET tokenHash = :hash",
                {":hash": token_hash},
            )
        )
        try:
            self._transact(operations)
        except TransactionConflict as conflict:
            raise NotFoundError(f"check {configuration_id} is not assigned to {system_id}") from conflict

    def ping_target(self, token_hash: str) -> PingTargetItem | None:
        """The check a token hash pings, or None."""
        item = self._get(keys.ping_token_key(token_hash))
        return PingTargetItem.model_validate(strip_keys(item)) if item else None

    def get_heartbeat(self, system_id: str, configuration_id: str) -> HeartbeatItem | None:
        item = self._get(keys.heartbeat_key(system_id, configuration_id))
        return HeartbeatItem.model_validate(strip_keys(item)) if item else None

    def save_heartbeat(
        self, system_id: str, configuration_id: str, *, deadline: int, started_at: int | None, last_ping: int
    ) -> None:
        """Record a ping's effect: the new deadline and the open start (if any)."""
        expression = "SET deadline = :deadline, lastPingAt = :ping"
        values: dict = {":deadline": deadline, ":ping": last_ping}
        if started_at is None:
            expression += " REMOVE startedAt"
        else:
            expression += ", startedAt = :started"
            values[":started"] = started_at
        self._update(keys.heartbeat_key(system_id, configuration_id), expression, values=values)

    def move_missed_deadline(
        self, system_id: str, configuration_id: str, *, missed: int, deadline: int
    ) -> bool:
        """After a missed deadline: the next one, only if no ping moved it meanwhile."""
        return self._update(
            keys.heartbeat_key(system_id, configuration_id),
            "SET deadline = :next REMOVE startedAt",
            condition="deadline = :missed",
            values={":next": deadline, ":missed": missed},
        )

    def take_ping_slot(self, token_hash: str, window: str, *, limit: int, expires_at: int) -> bool:
        """Count one ping of a token in a fixed window; False once the window holds `limit` pings."""
        return self.take_request_slot(
            keys.ping_rate_owner(token_hash), window, limit=limit, expires_at=expires_at
        )

    def schedule_deadline(self, system_id: str, configuration_id: str, *, deadline: int) -> None:
        """Put a heartbeat's deadline into the deadline index (its assignment's nextDueAt), if the
        scheduler runs that assignment (a paused one is looked at again when it resumes)."""
        self._update(
            keys.assignment_key(system_id, configuration_id),
            "SET nextDueAt = :due",
            condition="attribute_exists(dueShard)",
            values={":due": deadline},
        )
