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

from bench.sizes import smoke
from bench.table import REPORT_ONLY, error_row, render, summary

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
# Helpers the benches import, and the soak (`make soak`, 30 minutes): no rows() of their own.
NOT_BENCHMARKS = {
    "__main__",
    "table",
    "sizes",
    "capacity",
    "metered_store",
    "fake_aws",
    "latency",
    "retention_sim",
    "scheduler_sim",
    "soak",
    "soak_stack",
}
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


def run_module(
    name: str, *, env: dict[str, str] | None = None, timeout: float = MODULE_TIMEOUT_SECONDS
) -> tuple[list[dict], str]:
    """One module's rows from its own interpreter (`env` over this one's), and the child's stderr;
    an error row instead when it fails, hangs or writes no rows."""
    child_env = dict(os.environ) | (env or {})
    child_env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT / "src"), str(REPO_ROOT)])
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        output = os.path.join(workdir, "rows.json")
        try:
            done = subprocess.run(
                [sys.executable, "-m", "bench", "--module", name, "--json", output],
                cwd=REPO_ROOT,
                env=child_env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as expired:
            stderr = expired.stderr or ""
            stderr = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr
            return [error_row(name, f"timed out after {timeout:g} s")], stderr
        if done.returncode or not os.path.exists(output):
            lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
            message = f"exit {done.returncode}: {lines[-1].strip() if lines else 'no output'}"
            return [error_row(name, message)], done.stderr
        with open(output, encoding="utf-8") as handle:
            return json.load(handle), done.stderr


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
        found, _ = run_module(name)
        print(f" {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
        rows += found
    print(render(rows))
    print(f"\n{len(names)} modules in {time.perf_counter() - started:.0f} s")
    print(summary(rows))
    if smoke():
        print("BENCH_SMOKE is set: tiny sizes, so these figures and goals mean nothing")


if __name__ == "__main__":
    main()
