"""The checks a satellite request names, read in one go: their assignments, their configurations, and
for a results request what recording them starts from (their systems' items and state items, their
check items) and which of its runs were recorded before."""

from __future__ import annotations

from shared.data import keys
from shared.data.assignments import stored_assignment
from shared.data.base import TableBase, strip_keys
from shared.domain.catalog_items import ConfigurationItem, SystemItem
from shared.domain.snapshots import CheckReads, RunKey
from shared.domain.state_items import CheckStateItem, SystemStateItem


class CheckReadStore(TableBase):
    def check_reads(
        self, pairs: list[tuple[str, str]], *, runs: list[RunKey] = (), for_recording: bool = False
    ) -> CheckReads:
        """One strongly consistent BatchGetItem (ceil(keys/100) calls) of the assignments of these
        (system, configuration) pairs and their configurations; `for_recording`, their systems' items
        and state items and their check items; with `runs`, those runs' items (which were recorded)."""
        pairs = list(dict.fromkeys(pairs))
        kinds: dict[tuple[str, str], str] = {}
        wanted: list[dict] = []

        def want(key: dict, kind: str) -> None:
            name = (key["pk"]["S"], key["sk"]["S"])
            if name not in kinds:
                kinds[name] = kind
                wanted.append(key)

        for system_id, configuration_id in pairs:
            want(keys.assignment_key(system_id, configuration_id), "assignment")
        for configuration_id in dict.fromkeys(c for _, c in pairs):
            want(keys.configuration_key(configuration_id), "configuration")
        if for_recording:
            for system_id in dict.fromkeys(s for s, _ in pairs):
                want(keys.system_key(system_id), "system")
                want(keys.system_state_key(system_id), "state")
            for system_id, configuration_id in pairs:
                want(keys.check_state_key(system_id, configuration_id), "check")
        for run in runs:
            want(keys.run_key(run.system_id, run.configuration_id, run.filed_at, run.run_id), "run")
        reads = CheckReads()
        for item in self._batch_get(wanted) if wanted else []:
            kind = kinds[(item["pk"], item["sk"])]
            if kind == "assignment":
                assignment = stored_assignment(item)
                reads.assignments[(assignment.system_id, assignment.configuration_id)] = assignment
            elif kind == "configuration":
                reads.configurations[item["id"]] = ConfigurationItem.model_validate(strip_keys(item))
            elif kind == "system":
                system = SystemItem.model_validate(strip_keys(item))
                reads.systems[system.id] = system
            elif kind == "state":
                state = SystemStateItem.model_validate(strip_keys(item))
                reads.states[state.system_id] = state
            elif kind == "check":
                check = CheckStateItem.model_validate(strip_keys(item))
                reads.check_states[(check.system_id, check.configuration_id)] = check
            else:
                reads.known_run_ids.add(item["runId"])
        return reads
