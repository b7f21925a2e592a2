"""Heartbeat checks in the single table: ping tokens (by hash), each heartbeat's deadline, and the
assignment's place in the due index that makes the scheduler look at that deadline."""

from __future__ import annotations

from botocore.exceptions import ClientError

from shared.data import keys
from shared.data.base import TableBase, strip_keys
from shared.data.table import error_code, serialize, translated_errors


def _plain(key: dict) -> dict:
    return {name: value["S"] for name, value in key.items()}


class HeartbeatStore(TableBase):
    def replace_ping_token(
        self, system_id: str, configuration_id: str, token_hash: str, *, previous_hash: str | None
    ) -> None:
        """Point a new token hash at a heartbeat and forget the previous one, atomically."""
        target = {"systemId": system_id, "configurationId": configuration_id}
        operations = [self.put_op(_plain(keys.ping_token_key(token_hash)) | target)]
        if previous_hash and previous_hash != token_hash:
            operations.append(self.delete_op(keys.ping_token_key(previous_hash)))
        operations.append(
            self.update_op(
                keys.heartbeat_key(system_id, configuration_id),
                "SET tokenHash = :hash",
                {":hash": token_hash},
            )
        )
        self._transact(operations)

    def ping_target(self, token_hash: str) -> dict | None:
        """{systemId, configurationId} of a token hash, or None."""
        item = self._get(keys.ping_token_key(token_hash))
        return strip_keys(item) if item else None

    def get_heartbeat(self, system_id: str, configuration_id: str) -> dict | None:
        item = self._get(keys.heartbeat_key(system_id, configuration_id))
        return strip_keys(item) if item else None

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
        self._update(keys.heartbeat_key(system_id, configuration_id), expression, values)

    def move_missed_deadline(
        self, system_id: str, configuration_id: str, *, missed: int, deadline: int
    ) -> bool:
        """After a missed deadline: the next one, only if no ping moved it meanwhile."""
        try:
            self._update(
                keys.heartbeat_key(system_id, configuration_id),
                "SET deadline = :next REMOVE startedAt",
                {":next": deadline, ":missed": missed},
                condition="deadline = :missed",
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _update(self, key: dict, expression: str, values: dict, *, condition: str | None = None) -> None:
        request = {
            "TableName": self._table,
            "Key": key,
            "UpdateExpression": expression,
            "ExpressionAttributeValues": serialize(values),
        }
        if condition:
            request["ConditionExpression"] = condition
        with translated_errors():
            self._client.update_item(**request)

    def schedule_deadline(self, system_id: str, configuration_id: str, *, deadline: int, shard: str) -> None:
        """Put a heartbeat's deadline into the due index (its assignment's nextDueAt)."""
        with translated_errors():
            self._client.update_item(
                TableName=self._table,
                Key=keys.assignment_key(system_id, configuration_id),
                UpdateExpression="SET nextDueAt = :due, dueShard = :shard",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":due": {"N": str(deadline)}, ":shard": {"S": shard}},
            )
