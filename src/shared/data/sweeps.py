"""Checkpoints of background sweeps that take more than one invocation: one versioned item each."""

from __future__ import annotations

from botocore.exceptions import ClientError

from shared.data import keys
from shared.data.base import TableBase, strip_keys
from shared.data.table import error_code, plain_key, translated_errors
from shared.domain.records import CheckpointMovedError


class SweepCheckpoints(TableBase):
    def load(self, sweep: str) -> dict | None:
        """The sweep's checkpoint (strongly consistent), or None when no sweep is under way."""
        item = self._get(keys.sweep_checkpoint_key(sweep))
        return strip_keys(item) if item else None

    def save(self, sweep: str, state: dict, *, expected_version: int | None) -> int:
        """Store the checkpoint if nobody moved it since `expected_version`; returns the new version."""
        version = (expected_version or 0) + 1
        condition, values = (
            ("attribute_not_exists(pk)", None)
            if expected_version is None
            else ("version = :v", {":v": expected_version})
        )
        stored = self._put(
            plain_key(keys.sweep_checkpoint_key(sweep)) | state | {"version": version},
            condition=condition,
            values=values,
        )
        if not stored:
            raise CheckpointMovedError(sweep)
        return version

    def clear(self, sweep: str, *, expected_version: int) -> None:
        """Forget the checkpoint once the sweep finished, if nobody moved it since."""
        try:
            with translated_errors():
                self._client.delete_item(
                    TableName=self._table,
                    Key=keys.sweep_checkpoint_key(sweep),
                    ConditionExpression="version = :v",
                    ExpressionAttributeValues={":v": {"N": str(expected_version)}},
                )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise CheckpointMovedError(sweep) from error
            raise
