"""The row every bench module returns, and the aligned table `python -m bench` prints.

A row is a plain dict: metric, measured, baseline, ratio, goal, met, note. A goal of `REPORT_ONLY`
marks a figure that is shown without a goal; it is left out of the "N of M goals met" count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

REPORT_ONLY = "-"
COLUMNS = ("metric", "measured", "baseline", "ratio", "goal", "met")


def row(
    metric: str,
    measured: float,
    baseline: float,
    goal: str,
    met: bool,
    note: str = "",
    ratio: float | None = None,
) -> dict:
    """A row; `ratio` defaults to measured / baseline (nan when there is no baseline)."""
    if ratio is None:
        ratio = measured / baseline if baseline else math.nan
    return {
        "metric": metric,
        "measured": float(measured),
        "baseline": float(baseline),
        "ratio": float(ratio),
        "goal": goal,
        "met": bool(met),
        "note": note,
    }


def error_row(module: str, message: str) -> dict:
    return {
        "metric": f"{module}: ERROR",
        "measured": math.nan,
        "baseline": math.nan,
        "ratio": math.nan,
        "goal": "runs",
        "met": False,
        "note": message,
    }


def has_goal(entry: dict) -> bool:
    return entry.get("goal", REPORT_ONLY) != REPORT_ONLY


def _number(value: object) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return str(value)
    if math.isnan(value):
        return "-"
    if value == int(value) and abs(value) < 1e9:
        return str(int(value))
    if abs(value) >= 100:
        return f"{value:.1f}"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.2f}"


def _cells(entry: dict) -> list[str]:
    met = ("yes" if entry.get("met") else "NO") if has_goal(entry) else "-"
    ratio = entry.get("ratio")
    ratio_text = _number(ratio) + ("x" if isinstance(ratio, int | float) and not math.isnan(ratio) else "")
    return [
        str(entry.get("metric", "?")),
        _number(entry.get("measured")),
        _number(entry.get("baseline")),
        ratio_text,
        str(entry.get("goal", REPORT_ONLY)),
        met,
    ]


def render(rows: Sequence[dict], *, notes: bool = True) -> str:
    """One aligned table (text columns left, numbers right), then each row's note when asked."""
    body = [_cells(entry) for entry in rows]
    widths = [max(len(line[i]) for line in [list(COLUMNS), *body]) for i in range(len(COLUMNS))]
    right = {1, 2, 3}

    def line(cells: Sequence[str]) -> str:
        return " | ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [line(COLUMNS), "-+-".join("-" * w for w in widths)]
    out += [line(cells) for cells in body]
    if notes:
        out.append("")
        out += [
            f"[{n}] {entry['metric']}: {entry['note']}"
            for n, entry in enumerate(rows, 1)
            if entry.get("note")
        ]
    return "\n".join(out)


def summary(rows: Sequence[dict]) -> str:
    goals = [entry for entry in rows if has_goal(entry)]
    return f"{sum(1 for entry in goals if entry.get('met'))} of {len(goals)} goals met"
