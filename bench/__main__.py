"""`python -m bench`: run every bench module, print one table and "N of M goals met", exit 0.

Each module runs in its own interpreter (`python -m bench --module <name> --json <file>`), so a module
that fails, hangs or leaks state costs only its own rows: it shows up as an error row. Benchmarks
inform; they never fail the build. Modules run one after another so they do not skew each other's timings.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pkgutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.table import REPORT_ONLY, error_row, render, summary

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
NOT_BENCHMARKS = {"__main__", "table", "soak_stack", "capacity", "metered_store"}
# Cold start first, on a quiet machine; the rest in a stable order; modules added later run last.
ORDER = ("cold_start", "status_cache", "pipeline", "probe_throughput", "ingest")
MODULE_TIMEOUT_SECONDS = 240
ROW_KEYS = {"metric", "measured", "baseline", "ratio", "goal", "met", "note"}


def modules() -> list[str]:
    found = {m.name for m in pkgutil.iter_modules([str(PACKAGE_DIR)])} - NOT_BENCHMARKS
    return [name for name in ORDER if name in found] + sorted(found - set(ORDER))


def _child(name: str, output: str) -> None:
    """Runs inside the child interpreter: the module's rows, checked, as JSON in `output`."""
    import importlib

    module = importlib.import_module(f"bench.{name}")
    if not callable(getattr(module, "rows", None)):
        rows = [
            {
                "metric": f"{name}: not run",
                "measured": math.nan,
                "baseline": math.nan,
                "ratio": math.nan,
                "goal": REPORT_ONLY,
                "met": False,
                "note": f"bench/{name}.py exposes no rows(); run `python -m bench.{name}` on its own",
            }
        ]
    else:
        rows = module.rows()
        for entry in rows:
            missing = ROW_KEYS - set(entry)
            if missing:
                raise ValueError(f"row {entry.get('metric')!r} lacks {sorted(missing)}")
    with open(output, "w", encoding="utf-8") as handle:
        json.dump(rows, handle)


def _run(name: str) -> list[dict]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT / "src"), str(REPO_ROOT)])
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        output = os.path.join(workdir, "rows.json")
        try:
            done = subprocess.run(
                [sys.executable, "-m", "bench", "--module", name, "--json", output],
                cwd=REPO_ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=MODULE_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return [error_row(name, f"timed out after {MODULE_TIMEOUT_SECONDS} s")]
        if done.returncode or not os.path.exists(output):
            lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
            return [error_row(name, f"exit {done.returncode}: {lines[-1].strip() if lines else 'no output'}")]
        with open(output, encoding="utf-8") as handle:
            return json.load(handle)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--module", help="run one module in this process (used by the runner)")
    parser.add_argument("--json", help="where --module writes its rows")
    parser.add_argument("--only", nargs="*", help="run only these modules")
    arguments = parser.parse_args()
    if arguments.module:
        _child(arguments.module, arguments.json)
        return
    names = [n for n in modules() if not arguments.only or n in arguments.only]
    rows: list[dict] = []
    started = time.perf_counter()
    for name in names:
        began = time.perf_counter()
        print(f"bench: {name} ...", end="", file=sys.stderr, flush=True)
        found = _run(name)
        print(f" {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
        rows += found
    print(render(rows))
    print(f"\n{len(names)} modules in {time.perf_counter() - started:.0f} s")
    print(summary(rows))


if __name__ == "__main__":
    main()
