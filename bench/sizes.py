"""The one switch that shrinks every bench: `BENCH_SMOKE=1` (tests/integration/bench/test_bench_smoke.py).

Each module takes its sizes (systems, checks, rounds, samples) from `scaled(full, smoke)` at import, so
in smoke mode it runs the same handlers, stores and calls with tiny counts and still returns its rows.
Smoke figures are meaningless: the smoke test checks only that every module runs and its rows are
well formed, never a timing or `met`.
"""

from __future__ import annotations

import os

SMOKE_VARIABLE = "BENCH_SMOKE"


def smoke() -> bool:
    """True when BENCH_SMOKE is set to anything but empty or 0."""
    return os.environ.get(SMOKE_VARIABLE, "") not in ("", "0")


def scaled(full: int, smoke_size: int) -> int:
    """`full` normally; `smoke_size` under BENCH_SMOKE=1."""
    return smoke_size if smoke() else full
