"""The heartbeat port (ping tokens, deadlines) in memory, as `shared.data.heartbeats.HeartbeatStore`
behaves; a deadline's place in the deadline index is in memory_schedule.py."""

from __future__ import annotations

from shared.data import keys
from shared.domain.errors import NotFoundError
from shared.domain.heartbeat_items import HeartbeatItem, PingTargetItem


class MemoryHeartbeats:
    """A part of MemoryStore, which holds the dictionaries."""

    ping_tokens: dict[str, dict]
    heartbeats: dict[tuple[str, str], dict]
    assignments: dict[tuple[str, str], dict]
    rate_windows: dict[tuple[str, str], int]

    def replace_ping_token(
        self, system_id: str, configuration_id: str, token_hash: str, *, previous_hash: str | None
    ) -> None:
        if (system_id, configuration_id) not in self.assignments:
            raise NotFoundError(f"check {configuration_id} is not assigned to {system_id}")
        if previous_hash and previous_hash != token_hash:
            self.ping_tokens.pop(previous_hash, None)
        self.ping_tokens[token_hash] = PingTargetItem(
            system_id=system_id, configuration_id=configuration_id
        ).to_item()
        heartbeat = self.heartbeats.setdefault((system_id, configuration_id), {})
        heartbeat["tokenHash"] = token_hash

    def ping_target(self, token_hash: str) -> PingTargetItem | None:
        item = self.ping_tokens.get(token_hash)
        return PingTargetItem.model_validate(item) if item is not None else None

    def get_heartbeat(self, system_id: str, configuration_id: str) -> HeartbeatItem | None:
        item = self.heartbeats.get((system_id, configuration_id))
        return HeartbeatItem.model_validate(item) if item is not None else None

    def save_heartbeat(
        self, system_id: str, configuration_id: str, *, deadline: int, started_at: int | None, last_ping: int
    ) -> None:
        heartbeat = self.heartbeats.setdefault((system_id, configuration_id), {})
        heartbeat |= {"deadline": deadline, "lastPingAt": last_ping}
        if started_at is None:
            heartbeat.pop("startedAt", None)
        else:
            heartbeat["startedAt"] = started_at

    def move_missed_deadline(
        self, system_id: str, configuration_id: str, *, missed: int, deadline: int
    ) -> bool:
        heartbeat = self.heartbeats.get((system_id, configuration_id))
        if heartbeat is None or heartbeat.get("deadline") != missed:
            return False
        heartbeat["deadline"] = deadline
        heartbeat.pop("startedAt", None)
        return True

    def take_ping_slot(self, token_hash: str, window: str, *, limit: int, expires_at: int) -> bool:
        owner = keys.ping_rate_owner(token_hash)
        taken = self.rate_windows.get((owner, window), 0)
        if taken >= limit:
            return False
        self.rate_windows[(owner, window)] = taken + 1
        return True
