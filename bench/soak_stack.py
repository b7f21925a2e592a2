"""What the soak and the restart test drive: `make run` as a child, a target that flips, an API client."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
_BANNER = {
    "base_url": re.compile(r"^Healthcheck API\s+(\S+)"),
    "admin_key": re.compile(r"^Admin key\s+(\S+)"),
    "cache": re.compile(r"^Cache backend\s+(.+?)\s*$"),
}
START_TIMEOUT_SECONDS = 120


class StackProcess:
    """`python -m local.run` on a free port with its own data directory; output goes to `log_path`."""

    def __init__(self, data_dir: Path, log_path: Path, fresh: bool = False, **environment: str):
        self.log_path = log_path
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "src"), str(REPO_ROOT)]),
            "HC_PORT": "0",
            "HC_DATA_DIR": str(data_dir),
            "HC_FRESH": "1" if fresh else "0",
            **environment,
        }
        env.pop("HC_ADMIN_API_KEY", None)
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in wait()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "local.run"],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self._log,
        )
        self.banner = self._read_banner()
        self.base_url = self.banner["base_url"]
        self.admin_key = self.banner["admin_key"]
        threading.Thread(target=self._copy_stdout, daemon=True).start()

    def _read_banner(self) -> dict[str, str]:
        found: dict[str, str] = {}
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            line = self.process.stdout.readline().decode()
            if not line:
                raise RuntimeError(f"the stack exited before its banner; see {self.log_path}")
            self._log.write(line.encode())
            for name, pattern in _BANNER.items():
                match = pattern.match(line)
                if match:
                    found[name] = match.group(1)
            if line.startswith("Ctrl-C"):
                return found
        raise RuntimeError("no banner in time")

    def _copy_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._log.write(line)
        self._log.flush()

    def pids(self) -> list[int]:
        """The runtime and every process under it (the emulation, the sandboxes, its redis-server)."""
        pids, frontier = [self.process.pid], [self.process.pid]
        while frontier:
            parent = frontier.pop()
            children = Path(f"/proc/{parent}/task/{parent}/children")
            found = [int(pid) for pid in children.read_text().split()] if children.exists() else []
            pids += found
            frontier += found
        return pids

    def memory_mb(self) -> tuple[float, float, float]:
        """(RSS of the runtime process, RSS summed and PSS summed over the process tree) in MB.

        Summed RSS counts a page shared by several processes once per process; PSS shares it out.
        """
        rows = self.memory_by_process()
        runtime = _kilobytes(self.process.pid, "status", "VmRSS") / 1024
        return runtime, sum(row[2] for row in rows), sum(row[3] for row in rows)

    def memory_by_process(self) -> list[tuple[int, str, float, float, float]]:
        """(pid, name, RSS MB, PSS MB, CPU seconds) of every process of the stack, largest PSS first."""
        rows = []
        for pid in self.pids():
            try:
                name = Path(f"/proc/{pid}/comm").read_text().strip()
                # utime and stime, in clock ticks, follow the parenthesised name.
                ticks = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[11:13]
            except OSError:
                continue
            cpu_seconds = sum(int(tick) for tick in ticks) / os.sysconf("SC_CLK_TCK")
            rss = _kilobytes(pid, "smaps_rollup", "Rss") / 1024
            rows.append((pid, name, rss, _kilobytes(pid, "smaps_rollup", "Pss") / 1024, cpu_seconds))
        return sorted(rows, key=lambda row: -row[3])

    def terminate(self, timeout: float = 30) -> float:
        """SIGTERM; returns the seconds until the process had exited."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout)
        elapsed = time.monotonic() - started
        self._log.flush()
        return elapsed

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def _kilobytes(pid: int, file_name: str, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/{file_name}").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def api(
    base_url: str, key: str, method: str, path: str, body: object = None, timeout: float = 30
) -> tuple[int, object, float]:
    """(status, decoded JSON body or None, milliseconds) of one API call."""
    request = urllib.request.Request(
        base_url + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, payload = error.code, error.read()
    elapsed_ms = (time.monotonic() - started) * 1000
    return status, json.loads(payload) if payload else None, elapsed_ms


class FlippingTarget(ThreadingHTTPServer):
    """`GET /t/<n>` answers 200 or 503, each path flipping every `period` seconds at its own phase."""

    daemon_threads = True

    def __init__(self, period_seconds: float = 60):
        self.period_seconds = period_seconds
        super().__init__(("127.0.0.1", 0), _FlippingHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class _FlippingHandler(BaseHTTPRequestHandler):
    server: FlippingTarget
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        number = int(self.path.rsplit("/", 1)[-1] or 0) if self.path.rsplit("/", 1)[-1].isdigit() else 0
        phase = int(time.time() / self.server.period_seconds) + number
        status = 200 if phase % 2 == 0 else 503
        body = b'{"ok": true}' if status == 200 else b'{"ok": false}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass
