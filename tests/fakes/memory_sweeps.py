"""The sweep checkpoint port in memory, as `shared.data.sweeps.SweepCheckpoints` behaves."""

from __future__ import annotations

import copy

from shared.domain.records import CheckpointMovedError


class MemorySweepCheckpoints:
    def __init__(self) -> None:
        self.checkpoints: dict[str, dict] = {}

    def load(self, sweep: str) -> dict | None:
        return copy.deepcopy(self.checkpoints.get(sweep))

    def save(self, sweep: str, state: dict, *, expected_version: int | None) -> int:
        current = self.checkpoints.get(sweep)
        moved = (
            current is not None
            if expected_version is None
            else (current or {}).get("version") != expected_version
        )
        if moved:
            raise CheckpointMovedError(sweep)
        version = (expected_version or 0) + 1
        self.checkpoints[sweep] = copy.deepcopy(state) | {"version": version}
        return version

    def clear(self, sweep: str, *, expected_version: int) -> None:
        if (self.checkpoints.get(sweep) or {}).get("version") != expected_version:
            raise CheckpointMovedError(sweep)
        del self.checkpoints[sweep]
