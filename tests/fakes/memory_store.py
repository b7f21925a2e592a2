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
    RunCommit,
    StateVersionConflict,
    assignment_record,
)


class MemoryStore:
    def __init__(self) -> None:
        self.systems: dict[str, dict] = {}
        self.states: dict[str, dict] = {}
        self.check_states: dict[tuple[str, str], dict] = {}
        self.configurations: dict[str, dict] = {}
        self.assignments: dict[tuple[str, str], dict] = {}
        self.satellites: dict[str, dict] = {}
        self.markers: dict[str, dict] = {}
        self.runs: dict[str, dict] = {}
        self.outbox: dict[tuple[str, str], OutboxEntry] = {}
        self.transitions: list[dict] = []

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

    def system_snapshot(self, system_id: str) -> dict[str, Any]:
        return copy.deepcopy(
            {
                "system": self.systems.get(system_id),
                "state": self.states.get(system_id),
                "assignments": [a for (s, _), a in sorted(self.assignments.items()) if s == system_id],
                "check_states": {c: i for (s, c), i in sorted(self.check_states.items()) if s == system_id},
                "maintenances": [],
                "outbox": self.outbox_of(system_id),
            }
        )

    # --- credentials -------------------------------------------------------------------------

    def get_satellites(self, satellite_ids: list[str]) -> dict[str, dict]:
        return {s: copy.deepcopy(self.satellites[s]) for s in satellite_ids if s in self.satellites}

    # --- history -----------------------------------------------------------------------------

    def run_context(self, system_id: str, configuration_id: str) -> dict[str, Any]:
        return copy.deepcopy(
            {
                "system": self.systems.get(system_id),
                "assignment": self.assignments.get((system_id, configuration_id)),
                "check_state": self.check_states.get((system_id, configuration_id)),
                "outbox": self.outbox_of(system_id),
            }
        )

    def commit_run(self, commit: RunCommit) -> None:
        run = commit.run
        if run["runId"] in self.markers:
            raise DuplicateRunError(copy.deepcopy(self.markers[run["runId"]]))
        key = (commit.check_state["systemId"], commit.check_state["configurationId"])
        current = self.check_states.get(key)
        if (current["version"] if current else None) != commit.expected_check_version:
            raise StateVersionConflict()
        self.markers[run["runId"]] = copy.deepcopy(commit.marker)
        self.runs[run["runId"]] = copy.deepcopy(run)
        self.check_states[key] = copy.deepcopy(commit.check_state)
        if commit.outbox:
            self.outbox[(commit.outbox.system_id, commit.outbox.entry_id)] = commit.outbox

    def store_state(
        self, system_id: str, state: dict, *, expected_version, transition=None, outbox=None
    ) -> None:
        self._check_state_version(system_id, expected_version)
        self.states[system_id] = copy.deepcopy(state)
        if transition:
            self.transitions.append(copy.deepcopy(transition))
        if outbox:
            self.outbox[(outbox.system_id, outbox.entry_id)] = outbox

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
