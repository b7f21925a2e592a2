"""Every bench module runs at a tiny size and returns well-formed rows, so a bench that no longer
matches the code fails `make test` instead of rotting until the next `make bench`.

Each module runs as `make bench` runs it: `python -m bench --module <name>` in its own interpreter,
here with BENCH_SMOKE=1 (bench/sizes.py). Smoke figures mean nothing: no timing, ratio or `met` is
looked at; the goals live in docs/benchmarks.md. The soak (`make soak`) and the helpers are not
listed by `modules()` (NOT_BENCHMARKS).
"""

import math

import pytest

from bench.__main__ import ROW_KEYS, modules, run_module
from bench.sizes import SMOKE_VARIABLE
from tests.redis_server import redis_server_path

NEEDS_REDIS_SERVER = {"cache_backends", "status_cache"}  # they start their own (tests/redis_server.py)
# A module takes 1-8 s on a quiet machine, up to ~30 s at load 6 (the whole suite on 2 shared cores).
SMOKE_TIMEOUT_SECONDS = 180


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@pytest.mark.timeout(SMOKE_TIMEOUT_SECONDS + 30)
@pytest.mark.parametrize("name", modules())
def test_bench_module_runs_at_smoke_size(name: str) -> None:
    if name in NEEDS_REDIS_SERVER:
        redis_server_path()  # skips without redis-server (fails on CI), as the cache tests do
    rows, stderr = run_module(name, env={SMOKE_VARIABLE: "1"}, timeout=SMOKE_TIMEOUT_SECONDS)

    errors = [entry["note"] for entry in rows if entry.get("metric", "").endswith(": ERROR")]
    assert not errors, f"bench/{name}.py failed: {errors[0]}\n--- its stderr ---\n{stderr[-6000:]}"
    assert rows, f"bench/{name}.py returned no rows"
    for entry in rows:
        missing = ROW_KEYS - set(entry)
        assert not missing, f"row {entry.get('metric')!r} lacks {sorted(missing)}"
        metric = entry["metric"]
        assert isinstance(metric, str) and metric, entry
        assert not metric.endswith(": not run"), (
            f"bench/{name}.py has no rows(): give it one, or list it in NOT_BENCHMARKS if it is a helper"
        )
        assert _number(entry["measured"]) and not math.isnan(entry["measured"]), (metric, entry["measured"])
        assert _number(entry["baseline"]) and _number(entry["ratio"]), entry  # NaN: no baseline
        assert isinstance(entry["goal"], str) and entry["goal"], entry
        assert isinstance(entry["met"], bool), entry
        assert isinstance(entry["note"], str), entry
