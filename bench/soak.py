"""`make soak`: the local twin under a steady load for SOAK_MINUTES (default 30), then a report.

200 HTTP checks at 10 s run by the executor against a local target whose answers flip, two
satellite agents (`python -m satellite`) with 50 checks each, and a reader asking `/health/batch`
for every system each second. Each row prints its figure beside its goal and says when it misses.
Run: `SOAK_MINUTES=10 PYTHONPATH=src:. python -m bench.soak` from the repository root.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from bench.soak_stack import REPO_ROOT, FlippingTarget, StackProcess, api

INTERVAL_SECONDS = 10
LOCAL_SYSTEMS, CHECKS_PER_SYSTEM = 20, 10
SATELLITES, SATELLITE_SYSTEMS = ("soak-sat-a", "soak-sat-b"), 5
WARM_UP_SECONDS = 120
RSS_GOAL_MB = 500
USAGE_PERIOD_SECONDS = 30
P99_GOAL_MS = 250
_ANSWER = re.compile(r"^(\S+ \S+) local\.http \S+ (\S+) -> \S+ (\d{3}) \((\d+) ms\)", re.M)
_EXECUTOR_BATCH = re.compile(
    r"^(\S+ \S+),\d+ local\.events batch done: ExecutorFunction received=\d+ deleted=(\d+)", re.M
)
_INGESTED = re.compile(r'"SatelliteResultsAccepted":\[([\d.]+)\]')
_STOPPING = " local.run stopping\n"
_USAGE = re.compile(r"(dynamodb|sqs/events) (\d+) calls, busy (\d+)%")
_MOTO_ERROR = re.compile(r"dictionary changed size|Error on request|InternalFailure|InternalServerError")


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _must(answer: tuple, what: str) -> object:
    status, body, _ = answer
    if status >= 300:
        raise RuntimeError(f"{what}: {status} {body}")
    return body


def _catalog(
    stack: StackProcess, target: FlippingTarget
) -> tuple[list[tuple[str, str, str]], dict[str, str]]:
    """Systems, configurations, assignments; returns (system, check, source) triples and satellite tokens."""

    def call(*arguments) -> tuple:
        # Setup is not measured: a call that failed or timed out is tried again (409: it had landed).
        for _ in range(5):
            try:
                answer = api(stack.base_url, stack.admin_key, *arguments, timeout=180)
            except OSError:
                continue
            if answer[0] == 409:
                return 200, {}, answer[2]
            if answer[0] < 500:
                return answer
        return answer

    tokens = {
        satellite: _must(
            call("POST", "/satellites", {"id": satellite, "name": satellite, "region": "local"}), "satellite"
        )["token"]
        for satellite in SATELLITES
    }
    plan = [(f"soak-{n:02d}", "local") for n in range(LOCAL_SYSTEMS)]
    plan += [(f"{satellite}-{n}", satellite) for satellite in SATELLITES for n in range(SATELLITE_SYSTEMS)]
    checks = [(system, f"{system}-c{c}", source) for system, source in plan for c in range(CHECKS_PER_SYSTEM)]

    def create(index_check: tuple[int, tuple[str, str, str]]) -> None:
        index, (system, check, source) = index_check
        _must(
            call(
                "POST",
                "/configurations",
                {
                    "id": check,
                    "name": check,
                    "strategyId": "http",
                    "intervalSeconds": INTERVAL_SECONDS,
                    "timeoutSeconds": 5,
                    "config": {"url": f"{target.base_url}/t/{index}", "method": "GET"},
                },
            ),
            f"configuration {check}",
        )
        _must(
            call(
                "PUT",
                f"/systems/{system}/checks/{check}",
                {
                    "enabled": True,
                    "includeLocal": source == "local",
                    "satelliteIds": [] if source == "local" else [source],
                },
            ),
            f"assignment {check}",
        )

    for system, _ in plan:
        _must(call("POST", "/systems", {"id": system, "name": system}), f"system {system}")
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(create, enumerate(checks)))
    return checks, tokens


def _start_agents(stack: StackProcess, tokens: dict[str, str], workdir: Path) -> list[subprocess.Popen]:
    agents = []
    for satellite, token in tokens.items():
        env = {**os.environ, "HC_SATELLITE_TOKEN": token, "PYTHONPATH": f"{REPO_ROOT / 'src'}:{REPO_ROOT}"}
        log = open(workdir / f"{satellite}.log", "wb")  # noqa: SIM115 - lives as long as the agent
        agents.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "satellite",
                    "--endpoint",
                    stack.base_url,
                    "--interval",
                    "10",
                    "--spool",
                    str(workdir / f"{satellite}.sqlite3"),
                    "--allow-private-targets",
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    return agents


def _reader(stack: StackProcess, systems: list[str], stop: threading.Event, answers: list) -> None:
    while not stop.wait(1):
        try:
            answers.append(
                api(stack.base_url, stack.admin_key, "POST", "/health/batch", {"systemIds": systems})[::2]
            )
        except OSError:
            answers.append((599, 30_000))


def _stored_runs(
    stack: StackProcess, check: tuple[str, str, str], window: tuple[float, float]
) -> list[str] | None:
    system, configuration, source = check
    timestamps, cursor = [], None
    while True:
        path = (
            f"/systems/{system}/checks/{configuration}/runs?source={source}&limit=500"
            f"&from={_iso(window[0])}&to={_iso(window[1])}" + (f"&cursor={cursor}" if cursor else "")
        )
        status, body, _ = api(stack.base_url, stack.admin_key, "GET", path, timeout=120)
        if status != 200:
            return None
        timestamps += [run.get("runId") or run["timestamp"] for run in body["items"]]
        cursor = body.get("nextCursor")
        if not cursor:
            return timestamps


def _row(metric: str, figure: str, goal: str, met: bool | None) -> None:
    verdict = "report only" if met is None else ("met" if met else "MISSED")
    print(f"{metric:<34} {figure:<30} goal {goal:<28} {verdict}", flush=True)


def machine_speed_ms() -> float:
    """A fixed pure-Python workload's time: the same soak on a machine (or a moment) twice as slow
    misses latency goals it would meet, so the report says how fast this one was."""
    started = time.perf_counter()
    total = 0
    for number in range(2_000_000):
        total += number * number
    return (time.perf_counter() - started) * 1000


def soak(minutes: float) -> None:
    speed = {"before": machine_speed_ms()}
    workdir = Path(tempfile.mkdtemp(prefix="soak-"))
    target = FlippingTarget()
    stack = StackProcess(
        workdir / "data",
        workdir / "stack.log",
        fresh=True,
        HC_SCHEDULER_TICK_SECONDS="60",
        HC_SAVE_INTERVAL_SECONDS=str(USAGE_PERIOD_SECONDS),
    )
    print(f"soak: {minutes:g} min, logs in {workdir}, cache {stack.banner.get('cache', '?')}", flush=True)
    stop, answers, agents, processes = threading.Event(), [], [], {}
    try:
        checks, tokens = _catalog(stack, target)
        agents = _start_agents(stack, tokens, workdir)
        systems = sorted({system for system, _, _ in checks})
        reader = threading.Thread(target=_reader, args=(stack, systems, stop, answers), daemon=True)
        reader.start()
        started = time.time()
        memory = {"start": stack.memory_mb()}
        end = started + minutes * 60
        while time.time() < end:
            time.sleep(min(5, max(0.0, end - time.time())))
            # Only a soak that goes on after 5 minutes has a warm-up figure distinct from its end.
            if "5 min" not in memory and time.time() - started >= 300 and end - time.time() > 60:
                memory["5 min"] = stack.memory_mb()
                processes["5 min"] = stack.memory_by_process()
        memory["end"] = stack.memory_mb()
        processes["end"] = stack.memory_by_process()
        stop.set()
        load_ended = time.time()
        window = (started + WARM_UP_SECONDS, time.time() - 2 * INTERVAL_SECONDS)
        with ThreadPoolExecutor(4) as pool:
            stored = list(pool.map(lambda check: _stored_runs(stack, check, window), checks))
    finally:
        stop.set()
        for agent in agents:
            agent.terminate()
        # The agents end before the stack stops, as a user would stop them; a call still arriving
        # during the stop is answered 503 and counted apart below.
        for agent in agents:
            try:
                agent.wait(10)
            except subprocess.TimeoutExpired:
                agent.kill()
        stopped_in = stack.terminate() if stack.process.poll() is None else float("nan")
        stack.kill()
    speed["after"] = machine_speed_ms()
    _report(stack, checks, stored, window, memory, answers, stopped_in, load_ended)
    _row(
        "machine speed (fixed CPU workload)",
        " / ".join(f"{ms:.0f} ms {moment}" for moment, ms in speed.items()),
        "report only (lower is faster)",
        None,
    )
    for moment, table in processes.items():
        _report_processes(moment, table)


def _report(stack, checks, stored, window, memory, reader_answers, stopped_in, load_ended) -> None:
    whole_log = stack.log_path.read_text(errors="replace")
    log_text, _, stopping_text = whole_log.partition(_STOPPING)
    answered = [(_logged_at(at), int(status), int(ms)) for at, _, status, ms in _ANSWER.findall(log_text)]
    gateway = [(status, ms) for _, status, ms in answered]
    failed_in_gateway = log_text.count(" failed on ")
    # The soak's own reads of the stored runs, after the load, are reported apart.
    latencies = sorted(ms for at, _, ms in answered if at <= load_ended)
    reads_after = sorted(ms for at, _, ms in answered if at > load_ended)
    reader_ms = sorted(ms for _, ms in reader_answers)
    expected_each = (window[1] - window[0]) / INTERVAL_SECONDS
    unreadable = sum(1 for runs in stored if runs is None)
    stored = [runs for runs in stored if runs is not None]
    doubled = sum(len(runs) - len(set(runs)) for runs in stored)
    short = [len(runs) for runs in stored if len(runs) < expected_each - 60 / INTERVAL_SECONDS]
    long = [len(runs) for runs in stored if len(runs) > expected_each + 60 / INTERVAL_SECONDS]
    print()
    for moment, (runtime, rss, pss) in memory.items():
        _row(
            f"memory at {moment} (PSS summed)",
            f"{pss:.0f} MB (RSS summed {rss:.0f}, runtime {runtime:.0f})",
            f"flat, <= {RSS_GOAL_MB} MB",
            pss <= RSS_GOAL_MB,
        )
    if "5 min" in memory:
        growth = memory["end"][2] - memory["5 min"][2]
        _row(
            "growth after warm-up (PSS summed)",
            f"{growth:+.0f} MB",
            "flat (within 10%)",
            abs(growth) <= 0.1 * memory["5 min"][2],
        )
    fives = sum(1 for status, _ in gateway if status >= 500) + failed_in_gateway
    fives += sum(1 for status, _ in reader_answers if status >= 500)
    _row("5xx answers", f"{fives} of {len(gateway)}", "0", fives == 0)
    during_stop = [int(status) for _, _, status, _ in _ANSWER.findall(stopping_text)]
    _row(
        "answers during the stop (after SIGTERM)",
        f"{len(during_stop)}, {sum(status >= 500 for status in during_stop)} of them 5xx",
        "report only (503: the client retries)",
        None,
    )
    total_expected = expected_each * len(checks)
    _row(
        "runs expected vs stored",
        f"{total_expected:.0f} vs {sum(map(len, stored))}",
        "equal within one tick",
        not short and not long,
    )
    _row("checks short by over a tick (lost)", str(len(short)), "0", not short)
    if unreadable:
        _row("checks whose runs could not be read", str(unreadable), "0", False)
    _row("runs stored twice (same run id)", str(doubled), "0", doubled == 0)
    _report_throughput(log_text, len(checks))
    _row(
        "API answers p50 / p99 (gateway)",
        f"{_pct(latencies, 50)} / {_pct(latencies, 99)} ms",
        f"p99 <= {P99_GOAL_MS} ms",
        _pct(latencies, 99) <= P99_GOAL_MS,
    )
    _row(
        "the soak's run reads after the load",
        f"{len(reads_after)}, p50 / p99 {_pct(reads_after, 50)} / {_pct(reads_after, 99)} ms",
        "report only (up to 500 runs each)",
        None,
    )
    _row(
        "/health/batch p50 / p99 (client)",
        f"{_pct(reader_ms, 50):.0f} / {_pct(reader_ms, 99):.0f} ms",
        f"p99 <= {P99_GOAL_MS} ms",
        _pct(reader_ms, 99) <= P99_GOAL_MS,
    )
    moto_errors = len(_MOTO_ERROR.findall(whole_log))
    _row("moto errors in the log", str(moto_errors), "0", moto_errors == 0)
    _row("stop on SIGTERM", f"{stopped_in:.1f} s", "<= 5 s", stopped_in <= 5)
    if latencies:
        print(
            f"\n{len(latencies)} API answers, mean {statistics.fmean(latencies):.0f} ms, log {stack.log_path}"
        )


def _logged_at(stamp: str) -> float:
    """A log line's time (the runtime logs local time, with milliseconds after a comma)."""
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()


def _report_throughput(log_text: str, check_count: int) -> None:
    """Runs the executor recorded per minute against those due, and the emulation's busy time per run."""
    batches = _EXECUTOR_BATCH.findall(log_text)
    local_checks = LOCAL_SYSTEMS * CHECKS_PER_SYSTEM
    due_per_minute = local_checks * 60 / INTERVAL_SECONDS
    if len(batches) > 1:
        first = datetime.fromisoformat(batches[0][0]).timestamp()
        last = datetime.fromisoformat(batches[-1][0]).timestamp()
        recorded = sum(int(deleted) for _, deleted in batches[1:])
        per_minute = recorded / max(1.0, last - first) * 60
        _row(
            "executor runs per minute",
            f"{per_minute:.0f} (due {due_per_minute:.0f})",
            "all due runs",
            per_minute >= 0.95 * due_per_minute,
        )
    runs = sum(int(deleted) for _, deleted in batches) + sum(float(n) for n in _INGESTED.findall(log_text))
    for process in ("dynamodb", "sqs/events"):
        busy_seconds = sum(
            int(share) / 100 * USAGE_PERIOD_SECONDS
            for name, _, share in _USAGE.findall(log_text)
            if name == process
        )
        _row(
            f"emulation {process} busy per run",
            f"{busy_seconds * 1000 / max(1.0, runs):.1f} ms ({runs:.0f} runs)",
            "report only",
            None,
        )


def _report_processes(moment: str, processes: list[tuple[int, str, float, float, float]]) -> None:
    print(f"\nmemory (MB) and CPU time (s) by process at {moment}:")
    for pid, name, rss, pss, cpu_seconds in processes:
        print(f"  {name:<16} pid {pid:<8} RSS {rss:6.0f}  PSS {pss:6.0f}  CPU {cpu_seconds:7.1f}")


def _pct(values: list[float], percentile: int) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(len(values) * percentile / 100))]


if __name__ == "__main__":
    soak(float(os.environ.get("SOAK_MINUTES", "30")))
