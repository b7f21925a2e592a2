"""The store ports of shared/services/ports.py in memory, for fast unit tests of service rules.

It covers the ports the recording and outbox rules use (systems, configurations, assignments, the
snapshot, runs, state, outbox) and is held to the DynamoDB repository's behaviour by
tests/integration/test_store_contract.py; a method it lacks raises AttributeError, never guesses.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from shared.domain.errors import ConflictError, NotFoundError, VersionMismatchError
from shared.domain.records import (
    DuplicateRunError,
    OutboxEntry,
    Page,
    RunCommit,
    StateVersionConflict,
    assignment_record,
)


class MemoryStore:
    def __init__(self) -> None:
        self.systems: dict[str, dict] = {}
        self.states: dict[str, dict] = {}
        self.configurations: dict[str, dict] = {}
        self.assignments: dict[tuple[str, str], dict] = {}
        self.satellites: dict[str, dict] = {}
        self.markers: dict[str, dict] = {}
        self.runs: dict[str, dict] = {}
        self.outbox: dict[tuple[str, str], OutboxEntry] = {}
        self.transitions: list[dict] = []
        self.aggregates: dict[tuple[str, str, str, str, str], dict] = {}

    # --- catalog ---------------------------------------------------------------------------

    def create_system(self, system: dict, initial_state: dict) -> dict:
        if system["id"] in self.systems:
            raise ConflictError(f"system {system['id']} already exists")
        self.systems[system["id"]] = copy.deepcopy(system)
        self.states[system["id"]] = copy.deepcopy(initial_state)
        return system

    def get_system(self, system_id: str) -> dict:
        if system_id not in self.systems:
            raise NotFoundError(f"system {system_id} not found")
        return copy.deepcopy(self.systems[system_id])

    def create_configuration(self, configuration: dict) -> dict:
        if configuration["id"] in self.configurations:
            raise ConflictError(f"configuration {configuration['id']} already exists")
        self.configurations[configuration["id"]] = copy.deepcopy(configuration)
        return configuration

    def get_configuration(self, configuration_id: str) -> dict:
        if configuration_id not in self.configurations:
            raise NotFoundError(f"configuration {configuration_id} not found")
        return copy.deepcopy(self.configurations[configuration_id])

    def put_assignment(
        self, system_id: str, configuration_id: str, settings: dict, *, expected_version, now, now_epoch
    ) -> tuple[dict, bool]:
        configuration = self.get_configuration(configuration_id)
        self.get_system(system_id)
        existing = self.assignments.get((system_id, configuration_id))
        if expected_version is not None and (existing is None or existing["version"] != expected_version):
            raise VersionMismatchError("the assignment changed since you read it")
        missing = [s for s in settings["satelliteIds"] if s not in self.satellites]
        if missing:
            raise NotFoundError(f"satellite {missing[0]} not found")
        assignment = assignment_record(system_id, configuration, copy.deepcopy(settings), existing, now)
        self.assignments[(system_id, configuration_id)] = assignment
        return copy.deepcopy(assignment), existing is None

    def get_assignment(self, system_id: str, configuration_id: str) -> dict:
        if (system_id, configuration_id) not in self.assignments:
            raise NotFoundError(f"check {configuration_id} is not assigned to system {system_id}")
        return copy.deepcopy(self.assignments[(system_id, configuration_id)])

    def system_snapshot(self, system_id: str) -> dict[str, Any]:
        return copy.deepcopy(
            {
                "system": self.systems.get(system_id),
                "state": self.states.get(system_id),
                "assignments": [a for (s, _), a in sorted(self.assignments.items()) if s == system_id],
                "maintenances": [],
                "outbox": self.outbox_of(system_id),
            }
        )

    # --- credentials -------------------------------------------------------------------------

    def get_satellites(self, satellite_ids: list[str]) -> dict[str, dict]:
        return {s: copy.deepcopy(self.satellites[s]) for s in satellite_ids if s in self.satellites}

    # --- history -----------------------------------------------------------------------------

    def commit_run(self, commit: RunCommit) -> None:
        run = commit.run
        if run["runId"] in self.markers:
            raise DuplicateRunError(copy.deepcopy(self.markers[run["runId"]]))
        system_id = run["systemId"]
        self._check_state_version(system_id, commit.expected_state_version)
        self.markers[run["runId"]] = copy.deepcopy(commit.marker)
        self.runs[run["runId"]] = copy.deepcopy(run)
        for a in commit.aggregates:
            key = (a.tier, system_id, run["configurationId"], a.start, a.source_id)
            item = self.aggregates.setdefault(key, {"start": a.start, "sourceId": a.source_id})
            for name, value in a.increments.items():
                item[name] = item.get(name, 0) + value
            item["expiresAt"] = a.expires_at
        self.states[system_id] = copy.deepcopy(commit.state)
        if commit.transition:
            self.transitions.append(copy.deepcopy(commit.transition))
        if commit.outbox:
            self.outbox[(commit.outbox.system_id, commit.outbox.entry_id)] = commit.outbox

    def store_state(self, system_id: str, state: dict, *, expected_version, transition=None) -> None:
        self._check_state_version(system_id, expected_version)
        self.states[system_id] = copy.deepcopy(state)
        if transition:
            self.transitions.append(copy.deepcopy(transition))

    def _check_state_version(self, system_id: str, expected_version: int | None) -> None:
        current = self.states.get(system_id)
        if expected_version is None and current is not None:
            raise StateVersionConflict()
        if expected_version is not None and (current is None or current["version"] != expected_version):
            raise StateVersionConflict()

    def known_run_ids(self, run_ids: list[str]) -> set[str]:
        return {r for r in run_ids if r in self.markers}

    def get_state(self, system_id: str) -> dict | None:
        return copy.deepcopy(self.states.get(system_id))

    def list_runs(self, system_id, configuration_id, *, start, end, source, status, limit, cursor) -> Page:
        """Newest first, `end` inclusive as the repository's key condition; the cursor is an offset."""
        found = sorted(
            (
                r
                for r in self.runs.values()
                if (r["systemId"], r["configurationId"]) == (system_id, configuration_id)
                and start <= r["timestamp"] <= end + "~"
                and source in (None, r["sourceId"])
                and status in (None, r["status"])
            ),
            key=lambda r: (r["timestamp"], r["runId"]),
            reverse=True,
        )
        offset = int(cursor or 0)
        more = offset + limit < len(found)
        return Page(copy.deepcopy(found[offset : offset + limit]), str(offset + limit) if more else None)

    def list_aggregates(self, tier, system_id, configuration_id, *, start, end, source) -> list[dict]:
        return [
            copy.deepcopy(item)
            for (t, s, c, bucket, src), item in sorted(self.aggregates.items())
            if (t, s, c) == (tier, system_id, configuration_id)
            and start <= bucket <= end + "~"
            and source in (None, src)
        ]

    def expire(self, now_epoch: int) -> None:
        """Tests: what DynamoDB TTL eventually does to items whose expiresAt passed."""
        self.runs = {k: r for k, r in self.runs.items() if r.get("expiresAt", now_epoch) >= now_epoch}
        self.aggregates = {
            k: i for k, i in self.aggregates.items() if i.get("expiresAt", now_epoch) >= now_epoch
        }

    # --- outbox ------------------------------------------------------------------------------

    def put_outbox(self, entries: list[OutboxEntry]) -> None:
        for entry in entries:
            self.outbox[(entry.system_id, entry.entry_id)] = entry

    def outbox_of(self, system_id: str) -> list[OutboxEntry]:
        return [e for (s, _), e in sorted(self.outbox.items()) if s == system_id]

    def hold_outbox(self, entries: list[OutboxEntry], *, until: str) -> None:
        for entry in entries:
            key = (entry.system_id, entry.entry_id)
            if key in self.outbox and self.outbox[key].held_until > until:
                self.outbox[key] = replace(self.outbox[key], held_until=until)

    def delete_outbox(self, entries: list[OutboxEntry]) -> None:
        for entry in entries:
            self.outbox.pop((entry.system_id, entry.entry_id), None)
