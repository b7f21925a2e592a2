"""Cold start: import time of each function's module in a fresh process, as a ratio to `import boto3`.

Each sample is a new interpreter timing `importlib.import_module(...)` with `time.perf_counter`; targets
are interleaved round by round so machine drift hits all alike, and each figure is the median of ROUNDS.
For an API function over its goal, `-X importtime` names the heaviest imports that `import boto3` does
not already pay for.
Run: `PYTHONPATH=src:. python -m bench.cold_start` from the repository root.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bench.sizes import scaled, smoke
from bench.table import REPORT_ONLY, row

ROUNDS = scaled(5, 1)
IMPORTTIME_SAMPLES = scaled(3, 1)
COMPILE_PASSES = scaled(1, 0)  # smoke: the .pyc files exist already, or the samples write them
GOAL_RATIO = 3.5
BASELINE = "boto3"
API_FUNCTIONS = ("api_reads", "api_mutations", "satellite_ingest")
OTHER_FUNCTIONS = ("scheduler", "executor", "retention")
REPO_ROOT = Path(__file__).resolve().parents[1]
PROJECT_PACKAGES = ("functions", "shared")

_TIMER = (
    "import importlib, sys, time\n"
    "started = time.perf_counter()\n"
    "importlib.import_module(sys.argv[1])\n"
    "print((time.perf_counter() - started) * 1000)\n"
)


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT / "src"), str(REPO_ROOT)])
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    env.setdefault("POWERTOOLS_SERVICE_NAME", "healthcheck")
    env.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Healthcheck")
    return env


def _import_ms(module: str, env: dict[str, str]) -> float:
    done = subprocess.run(
        [sys.executable, "-c", _TIMER, module],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"importing {module} failed: {done.stderr.strip().splitlines()[-1:]}")
    return float(done.stdout.strip().splitlines()[-1])


# --- -X importtime ---------------------------------------------------------------------------


@dataclass
class ImportNode:
    name: str
    self_us: int
    cumulative_us: int
    children: list[ImportNode] = field(default_factory=list)
    parent: ImportNode | None = None


def import_tree(module: str, env: dict[str, str]) -> list[ImportNode]:
    """Every module `import <module>` loads, as `-X importtime` reports it, with parents linked."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"importing {module} failed")
    nodes: list[ImportNode] = []
    pending: dict[int, list[ImportNode]] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_text, cumulative_text, name = line.removeprefix("import time:").split("|", 2)
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        node = ImportNode(name.strip(), int(self_text), int(cumulative_text))
        node.children = pending.pop(depth + 1, [])
        for child in node.children:
            child.parent = node
        pending.setdefault(depth, []).append(node)
        nodes.append(node)
    return nodes


def _top_package(name: str) -> str:
    return name.split(".", 1)[0]


def _project_importer(node: ImportNode) -> str:
    """The nearest project module (functions.*, shared.*) that pulled `node` in."""
    current = node.parent
    while current is not None and _top_package(current.name) not in PROJECT_PACKAGES:
        current = current.parent
    return current.name if current else "?"


def _extra_costs(module: str, paid: set[str], env: dict[str, str]) -> tuple[dict[str, float], dict[str, str]]:
    costs: dict[str, float] = {}
    importers: dict[str, str] = {}
    for node in import_tree(module, env):
        if node.name in paid:
            continue
        package = _top_package(node.name)
        label = node.name if package in PROJECT_PACKAGES else package
        costs[label] = costs.get(label, 0) + node.self_us / 1000
        if label == package and label not in importers:
            importers[label] = _project_importer(node)
    return costs, importers


def heavy_imports(
    module: str, env: dict[str, str], *, top: int = 6, samples: int = IMPORTTIME_SAMPLES
) -> str:
    """The costliest imports of `module` beyond what `import boto3` already loads: project modules by
    their own time, third-party and stdlib packages by the summed own time of their modules (medians of
    `samples` runs of `-X importtime`)."""
    paid = {node.name for node in import_tree(BASELINE, env)}
    runs = [_extra_costs(module, paid, env) for _ in range(samples)]
    importers = runs[0][1]
    labels = set().union(*(costs for costs, _ in runs))
    costs = {label: statistics.median(c.get(label, 0.0) for c, _ in runs) for label in labels}
    total = statistics.median(sum(c.values()) for c, _ in runs)
    parts = []
    for label, ms in sorted(costs.items(), key=lambda item: -item[1])[:top]:
        via = f" imported first by {importers[label]}" if label in importers else " (its own module body)"
        parts.append(f"{label} {ms:.0f} ms{via}")
    return f"heaviest imports beyond boto3's ({total:.0f} ms in all under -X importtime): " + "; ".join(parts)


# --- rows ------------------------------------------------------------------------------------


def rows() -> list[dict]:
    env = _environment()
    targets = {BASELINE: BASELINE} | {
        name: f"functions.{name}.app" for name in API_FUNCTIONS + OTHER_FUNCTIONS
    }
    for _ in range(COMPILE_PASSES):  # compile bytecode once so every sample reads the same .pyc files
        for module in targets.values():
            _import_ms(module, env)
    samples: dict[str, list[float]] = {name: [] for name in targets}
    for round_number in range(ROUNDS):
        order = list(targets.items())
        if round_number % 2:
            order.reverse()
        for name, module in order:
            samples[name].append(_import_ms(module, env))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    baseline = medians[BASELINE]
    result = []
    for name in API_FUNCTIONS + OTHER_FUNCTIONS:
        ratio = medians[name] / baseline
        has_goal = name in API_FUNCTIONS
        met = ratio <= GOAL_RATIO if has_goal else True
        note = (
            f"import functions.{name}.app in a fresh interpreter vs `import boto3` the same way; medians"
            f" of {ROUNDS} interleaved rounds (ms)"
        )
        if has_goal and not met:
            note += ". Over the goal; " + heavy_imports(targets[name], env)
        elif smoke() and name == API_FUNCTIONS[0]:  # the analysis runs only on a miss: smoke it anyway
            note += ". Smoke: " + heavy_imports(targets[name], env)
        result.append(
            row(
                f"cold start {name} import (ms)",
                round(medians[name], 1),
                round(baseline, 1),
                f"<= {GOAL_RATIO}x" if has_goal else REPORT_ONLY,
                met,
                note,
                ratio=round(ratio, 2),
            )
        )
    return result


if __name__ == "__main__":
    from bench.table import render

    print(render(rows()))
