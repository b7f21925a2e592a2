"""Mergeable hourly and daily run aggregates, bucketed in UTC, with latency quantiles from DDSketch.

An aggregate item is a flat dict of counters that a store can maintain with atomic `ADD`s alone
(no read-modify-write): one run adds `run_increments(...)` to the item of its hour. Latencies go
into DDSketch bins (logarithmic mapping, 1% relative accuracy), one top-level counter per bin:

- `b<k>` for bin index k >= 0 and `bn<k>` for bin index -k (values under ~1 ms have negative
  indices);
- `bz` for latencies under `ZERO_LATENCY_MS` (and the odd negative value), read back as 0.

Because bins of the same mapping add up exactly, any merge (24 hourlies into a daily, sources,
several buckets of a chart) is exact in bin space, and quantiles are computed on the merged bins,
never as "max of p95s". Every quantile, min and max is within 1% (relative) of the exact order
statistic `sorted(values)[floor(q * (n - 1))]`; avg is exact (sum / count).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ddsketch import DDSketch
from ddsketch.ddsketch import BaseDDSketch
from ddsketch.mapping import LogarithmicMapping
from ddsketch.store import DenseStore

from shared.domain.wire import RunStatus, format_timestamp

RELATIVE_ACCURACY = 0.01
ZERO_LATENCY_MS = 1e-3
ZERO_BIN = "bz"
HOUR_SECONDS = 3600
DAY_SECONDS = 86400

STATUS_COUNTERS: dict[str, str] = {
    "healthy": "healthyCount",
    "degraded": "degradedCount",
    "unhealthy": "unhealthyCount",
}
COUNTERS = ("runCount", *STATUS_COUNTERS.values(), "latencyCount")
SUMS = ("latencySumMs",)

_MAPPING = LogarithmicMapping(RELATIVE_ACCURACY)
_BIN_NAME = re.compile(r"^b(n?)(\d+)$")


# --- UTC buckets -----------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no defined UTC bucket")
    return moment.astimezone(UTC)


def hour_start(moment: datetime) -> datetime:
    """The start of the UTC hour holding `moment` (any time zone in, UTC out)."""
    return _utc(moment).replace(minute=0, second=0, microsecond=0)


def day_start(moment: datetime) -> datetime:
    """The start of the UTC day holding `moment` (any time zone in, UTC out)."""
    return _utc(moment).replace(hour=0, minute=0, second=0, microsecond=0)


def bucket_key(bucket_start: datetime) -> str:
    """A bucket's start as a sortable ISO string, e.g. `2024-05-01T13:00:00Z`, for keys."""
    return _utc(bucket_start).strftime("%Y-%m-%dT%H:%M:%SZ")


def hour_key(moment: datetime) -> str:
    return bucket_key(hour_start(moment))


def day_key(moment: datetime) -> str:
    return bucket_key(day_start(moment))


def parse_bucket_key(key: str) -> datetime:
    return datetime.strptime(key, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


# --- increments and merging ------------------------------------------------------------------


def latency_bin(latency_ms: float) -> str:
    """The name of the bin counter one latency value increments."""
    if latency_ms < ZERO_LATENCY_MS:
        return ZERO_BIN
    index = _MAPPING.key(latency_ms)
    return f"bn{-index}" if index < 0 else f"b{index}"


def is_latency_bin(name: str) -> bool:
    return name == ZERO_BIN or _BIN_NAME.match(name) is not None


def _bin_index(name: str) -> int:
    match = _BIN_NAME.match(name)
    if match is None:
        raise ValueError(f"not a latency bin: {name!r}")
    index = int(match.group(2))
    return -index if match.group(1) else index


def latency_bins(item: Mapping[str, Any]) -> dict[str, int]:
    """The bin counters of an aggregate item (other attributes ignored)."""
    return {name: int(count) for name, count in item.items() if is_latency_bin(name) and count}


def sketch_from_bins(bins: Mapping[str, int]) -> DDSketch:
    """A DDSketch holding exactly the given bin counts.

    Only its quantiles are meaningful: the bins do not carry the sketch's sum, min and max.
    """
    positive = DenseStore()
    zero_count = 0
    for name, count in bins.items():
        if not count:
            continue
        if name == ZERO_BIN:
            zero_count += int(count)
        else:
            positive.add(_bin_index(name), int(count))
    rebuilt = BaseDDSketch(
        mapping=_MAPPING, store=positive, negative_store=DenseStore(), zero_count=zero_count
    )
    sketch = DDSketch(RELATIVE_ACCURACY)
    sketch.merge(rebuilt)
    return sketch


def run_increments(status: RunStatus, latency_ms: float | None) -> dict[str, int | float]:
    """What one run adds to its aggregate item; a run without a latency adds no latency."""
    increments: dict[str, int | float] = {"runCount": 1, STATUS_COUNTERS[status]: 1}
    if latency_ms is not None:
        increments["latencyCount"] = 1
        increments["latencySumMs"] = float(latency_ms)
        increments[latency_bin(latency_ms)] = 1
    return increments


def _number(value: Any) -> int | float:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def merge_items(items: Iterable[Mapping[str, Any]]) -> dict[str, int | float]:
    """The sum of the counters, sums and bins of several aggregate items; other keys are dropped."""
    merged: dict[str, int | float] = {}
    for item in items:
        for name, value in item.items():
            if name in COUNTERS or is_latency_bin(name):
                merged[name] = merged.get(name, 0) + int(value)
            elif name in SUMS:
                merged[name] = merged.get(name, 0.0) + float(_number(value))
    return merged


# --- reading ---------------------------------------------------------------------------------


def _count(item: Mapping[str, Any], name: str) -> int:
    return int(item.get(name, 0))


def latency_summary(item: Mapping[str, Any]) -> dict[str, float | None]:
    """min, max, p50, p95, p99 from the bins (within 1%), avg from sum / count (exact)."""
    sketch = sketch_from_bins(latency_bins(item))
    latency_count = _count(item, "latencyCount")
    if sketch.count == 0 or latency_count == 0:
        return {"min": None, "max": None, "avg": None, "p50": None, "p95": None, "p99": None}
    avg = float(_number(item.get("latencySumMs", 0.0))) / latency_count

    def quantile(q: float) -> float:
        return float(sketch.get_quantile_value(q))

    # min <= avg <= max must hold on a chart; the sketch's edges may sit up to 1% inside the avg
    return {
        "min": min(quantile(0.0), avg),
        "max": max(quantile(1.0), avg),
        "avg": avg,
        "p50": quantile(0.50),
        "p95": quantile(0.95),
        "p99": quantile(0.99),
    }


def summarize(item: Mapping[str, Any], start: datetime, end: datetime) -> dict[str, Any]:
    """A Bucket of API.md (wire shape) from an aggregate item, merged or not."""
    run_count = _count(item, "runCount")
    healthy_count = _count(item, "healthyCount")
    return {
        "start": format_timestamp(start),
        "end": format_timestamp(end),
        "runCount": run_count,
        "healthyCount": healthy_count,
        "degradedCount": _count(item, "degradedCount"),
        "unhealthyCount": _count(item, "unhealthyCount"),
        "successRate": healthy_count / run_count if run_count else None,
        "latencyMs": latency_summary(item),
    }
