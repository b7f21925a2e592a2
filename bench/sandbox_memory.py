"""Memory of the twin's function sandboxes: PSS and USS of each after a warm invocation (report only).

The sandboxes are started as `make run` starts them (`local.sandboxes.SandboxPool` over the fork
server, one per function, two malloc arenas), against a fresh emulation seeded with events/seed/ as
`make invoke` seeds it; a few functions are then invoked twice with its event from events/ (the second
invocation warm), then each process's /proc/<pid>/smaps_rollup is read. PSS shares a page out among
the processes mapping it (the preloaded libraries the sandboxes share with the fork server); USS
(Private_Clean + Private_Dirty) is what ending that sandbox would give back.
Run: `PYTHONPATH=src:. python -m bench.sandbox_memory` from the repository root.
"""

from __future__ import annotations

import json
import os
import tempfile
from multiprocessing import forkserver
from pathlib import Path

from bench.table import REPORT_ONLY, row

REPO_ROOT = Path(__file__).resolve().parents[1]
EVENTS = REPO_ROOT / "events"
# Function, event file, the answer's status code that shows the handler did its work (None: no status).
INVOCATIONS = (
    ("ApiReadsFunction", "api-health-batch.json", 200),
    ("ApiMutationsFunction", "api-run-seeded-check.json", 202),
    ("ExecutorFunction", "executor-sqs-batch.json", None),
    ("SatelliteIngestFunction", "satellite-results.json", 200),
    ("SchedulerFunction", "scheduler-tick.json", None),
    ("NotifierFunction", "notifier-sqs-transition.json", None),
)


def smaps_rollup(pid: int) -> dict[str, float]:
    """The fields of /proc/<pid>/smaps_rollup in MB (Rss, Pss, Private_Dirty, ...)."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, value = line.partition(":")
        parts = value.split()
        if parts and parts[-1] == "kB":
            fields[name] = int(parts[0]) / 1024
    return fields


def _sandbox_pids() -> dict[str, int]:
    """The sandboxes under the fork server, by the name they show in ps (`fn-ApiReads`)."""
    server = forkserver._forkserver._forkserver_pid
    children = Path(f"/proc/{server}/task/{server}/children").read_text().split()
    return {Path(f"/proc/{pid}/comm").read_text().strip(): int(pid) for pid in children}


def _invoke_all(log_path: str) -> tuple[dict[str, dict[str, float]], dict[str, float], dict[str, str]]:
    from local.emulation_setup import start_emulation
    from local.invoke import LocalInvokeSettings, seed, with_seeded_tokens
    from local.sandboxes import FunctionError, SandboxPool
    from local.template import Template

    template = Template.load()
    emulation = start_emulation(template, LocalInvokeSettings())
    pool = SandboxPool(emulation.environment_for, emulation.region, concurrency=1, log_path=log_path)
    try:
        # As `make run` does: every function's sandbox started, so each shares the fork server's pages
        # with as many others as under the twin.
        pool.warm(list(template.functions.values()))

        def invoke(function_name: str, event: dict):
            return pool.invoke(template.function(function_name), event)

        tokens = seed(template, invoke)
        outcomes: dict[str, str] = {}
        for function_name, event_file, expected_status in INVOCATIONS:
            event = with_seeded_tokens(json.loads((EVENTS / event_file).read_text("utf-8")), tokens)
            try:
                for _ in range(2):
                    answer = invoke(function_name, event)
            except FunctionError as error:
                outcomes[function_name] = f"raised {str(error).splitlines()[0]}"
                continue
            status = answer.get("statusCode") if isinstance(answer, dict) else None
            ok = expected_status is None or status == expected_status
            outcomes[function_name] = "answered" + (f" {status}" if status else "") + ("" if ok else " (!)")
        pids = _sandbox_pids()
        memory = {name: smaps_rollup(pid) for name, pid in pids.items()}
        server = smaps_rollup(forkserver._forkserver._forkserver_pid)
        return memory, server, outcomes
    finally:
        pool.close(grace_seconds=0)
        emulation.stop()


def rows() -> list[dict]:
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    with tempfile.TemporaryDirectory(prefix="sandbox-memory-") as directory:
        memory, server, outcomes = _invoke_all(str(Path(directory) / "functions.log"))
    result = []
    for function_name, _, _ in INVOCATIONS:
        process_name = f"fn-{function_name.removesuffix('Function')}"[:15]
        figures = memory.get(process_name)
        if figures is None:
            continue
        uss = figures.get("Private_Clean", 0) + figures.get("Private_Dirty", 0)
        shared = figures.get("Shared_Clean", 0) + figures.get("Shared_Dirty", 0)
        result.append(
            row(
                f"sandbox {function_name} PSS after a warm invocation (MB)",
                round(figures["Pss"], 1),
                round(figures["Rss"], 1),
                REPORT_ONLY,
                True,
                f"baseline is its RSS; USS {uss:.1f} MB"
                f" (private dirty {figures.get('Private_Dirty', 0):.1f}), shared {shared:.1f} MB;"
                f" {outcomes.get(function_name, '?')}",
            )
        )
    total = sum(figures["Pss"] for figures in memory.values())
    result.append(
        row(
            f"sandboxes PSS summed, {len(memory)} alive, + fork server (MB)",
            round(total + server["Pss"], 1),
            round(server["Pss"], 1),
            REPORT_ONLY,
            True,
            "baseline is the fork server's PSS; one sandbox per function of the template, as `make run`"
            " starts them, the ones above invoked",
        )
    )
    return result


if __name__ == "__main__":
    from bench.table import render

    print(render(rows()))
