"""The checks a satellite request names, read in one go: their assignments, their configurations, and
for a results request their systems' state items and which of its runs were recorded before."""

from __future__ import annotations

from shared.data import keys
from shared.data.assignments import stored_assignment
from shared.data.base import TableBase, strip_keys
from shared.domain.catalog_items import ConfigurationItem
from shared.domain.snapshots import CheckReads, RunKey
from shared.domain.state_items import SystemStateItem


class CheckReadStore(TableBase):
    def check_reads(
        self, pairs: list[tuple[str, str]], *, runs: list[RunKey] = (), with_states: bool = False
    ) -> CheckReads:
        """One strongly consistent BatchGetItem (ceil(keys/100) calls) of the assignments of these
        (system, configuration) pairs and their configurations; with `with_states` the state items of
        their systems; with `runs` the run items of those runs (which were recorded)."""
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
        if with_states:
            for system_id in dict.fromkeys(s for s, _ in pairs):
                want(keys.system_state_key(system_id), "state")
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
            elif kind == "state":
                state = SystemStateItem.model_validate(strip_keys(item))
                reads.states[state.system_id] = state
            else:
                reads.known_run_ids.add(item["runId"])
        return reads
