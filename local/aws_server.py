"""The AWS emulation of the local runtime: a moto server in a process of its own, one request at a time.

moto protects few of its structures against concurrent requests: two transactions at once raise
`dictionary changed size during iteration` or lose a write, and a rollback can undo a neighbour's
write. DynamoDB makes each call atomic, so the server serialises calls with one lock around moto's
request dispatch. The process keeps moto's work off the runtime's own interpreter lock, and takes
a few housekeeping requests under `/_local/` (TTL sweep, save, restore, usage) under the same lock,
so they see the state between two calls, never inside one.
"""

from __future__ import annotations

import functools
import json
import logging
import multiprocessing
import os
import signal
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

_CONTROL_PREFIX = "/_local/"
_CLOSED_BODY = b'{"__type": "ServiceUnavailable", "message": "the local emulation is stopping"}'
_START_TIMEOUT_SECONDS = 60


class _OneRequestAtATime:
    """WSGI middleware: moto's whole answer is computed under the lock, so calls never interleave."""

    def __init__(self, app: Any, region: str, between_calls: Callable[[], object] = lambda: None):
        self.app = app
        self.region = region
        # Runs under the lock after each call, when no call holds any of moto's objects.
        self.between_calls = between_calls
        self.lock = threading.Lock()
        # Saves one at a time (the periodic one and the final one can meet), each on its own files.
        self.save_lock = threading.Lock()
        self.state_files: dict[str, Any] = {}
        self.closed = False
        self.calls: Counter = Counter()
        self.busy: Counter = Counter()

    def __call__(self, environ: dict, start_response) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(_CONTROL_PREFIX):
            return self._control(path.removeprefix(_CONTROL_PREFIX), environ, start_response)
        operation = environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2] or path
        with self.lock:
            if self.closed:
                start_response("503 Service Unavailable", [("Content-Type", "application/json")])
                return [_CLOSED_BODY]
            started = time.perf_counter()
            answer = b"".join(self.app(environ, start_response))
            self.between_calls()
            self.busy[operation] += time.perf_counter() - started
            self.calls[operation] += 1
        return [answer]

    def _control(self, action: str, environ: dict, start_response) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        request = json.loads(environ["wsgi.input"].read(length) or b"{}")
        handler: Callable[[dict], dict] | None = getattr(self, f"_do_{action}", None)
        if handler is None:
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b"{}"]
        answer = json.dumps(handler(request)).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [answer]

    def _do_usage(self, request: dict) -> dict:
        from local.dynamodb_cold_items import installed as installed_cold_items

        with self.lock:
            calls, busy, self.calls, self.busy = self.calls, self.busy, Counter(), Counter()
            cold_items = installed_cold_items()
            items = cold_items.counts() if cold_items else None
        return {"calls": calls, "busy": busy, "residentMb": _resident_mb(), "items": items}

    def _do_sweep(self, request: dict) -> dict:
        from local.dynamodb_fidelity import dynamodb_backend, sweep_expired_items

        with self.lock:
            return {"deleted": sweep_expired_items(dynamodb_backend(self.region))}

    def _do_restore(self, request: dict) -> dict:
        from local import state_store

        with self.save_lock:
            snapshot = self._state_files(request["path"]).read()
            if snapshot is None:
                return {"restored": False}
            with self.lock:
                state_store.restore(self.region, snapshot)
        return {"restored": True}

    def _do_save(self, request: dict) -> dict:
        """A journal line of what changed since the last save, or the whole state the first time."""
        from local import state_store

        with self.save_lock:
            files = self._state_files(request["path"])
            with self.lock:
                if request.get("final"):
                    self.closed = True
                capture = state_store.capture_changes if files.has_base else state_store.capture
                captured = capture(self.region, request["tables"], request["queues"])
            # Written outside the lock: calls go on while the file is written.
            if files.has_base:
                files.append(captured)
                if not request.get("final"):
                    files.compact_if_outgrown()
            else:
                files.write_base(captured)
        return {"items": sum(len(items) for items in captured["tables"].values())}

    def _state_files(self, path: str):
        from local.state_journal import StateFiles

        files = self.state_files.get(path)
        if files is None:
            files = self.state_files[path] = StateFiles(Path(path))
        return files

    def _do_memory(self, request: dict) -> dict:
        import tracemalloc

        if not tracemalloc.is_tracing():
            return {}
        stats = tracemalloc.take_snapshot().statistics("lineno")[:25]
        return {"top": [str(stat) for stat in stats]}

    def _do_close(self, request: dict) -> dict:
        with self.lock:
            self.closed = True
        return {}


def _resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _serve(
    connection: Connection, region: str, process_name: str, hot_items: int, parent: int, lean: bool
) -> None:
    from moto.server import DomainDispatcherApplication, create_backend_app
    from waitress.server import create_server

    from local.dynamodb_call_costs import install_cheaper_calls
    from local.dynamodb_cold_items import install_cold_items, move_out_least_used
    from local.dynamodb_dispatch import DirectDynamoDB
    from local.dynamodb_fidelity import install_item_level_transactions, install_partition_queries
    from local.dynamodb_updates import install_plain_updates
    from local.moto_overheads import install_lighter_requests
    from local.process_lifetime import die_with_parent
    from local.sandboxes import name_process
    from local.sqs_fidelity import install_flat_sqs_costs

    # Ctrl-C reaches the whole process group, and so does a SIGTERM sent to the group (a service
    # manager's stop); the runtime decides when the emulation ends, after its final save.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    die_with_parent(parent)
    name_process(process_name)
    if os.environ.get("HC_TRACE_MEMORY"):
        import tracemalloc

        tracemalloc.start()
    logging.getLogger("waitress").setLevel(logging.ERROR)  # "task queue depth" under load is expected
    install_item_level_transactions()
    install_partition_queries()
    install_flat_sqs_costs()
    install_lighter_requests()
    install_plain_updates()
    if lean:
        install_cheaper_calls()
    if hot_items:
        install_cold_items(hot_items)

    moto_application = DomainDispatcherApplication(create_backend_app)
    application = _OneRequestAtATime(
        DirectDynamoDB(moto_application) if lean else moto_application,
        region,
        # The least used items go to disk between two calls, when no call holds one.
        between_calls=move_out_least_used if hot_items else lambda: None,
    )
    # waitress keeps each client's connection open (werkzeug's server closes it after every answer,
    # so every call cost a TCP connection and a thread on both sides) and sends without Nagle's delay.
    server = create_server(application, host="127.0.0.1", port=0, threads=8, connection_limit=1000)
    connection.send(f"http://127.0.0.1:{server.effective_port}")
    server.run()


class EmulationProcess:
    """The parent's handle: the endpoint, the housekeeping requests, and the stop."""

    def __init__(self, region: str, name: str = "aws-emulation", hot_items: int = 0, lean: bool = True):
        """`hot_items`: items of tables with a sort key kept in memory at most (0: all of them);
        `lean`: DynamoDB calls skip moto's Flask application and some of its per-call costs
        (`local.dynamodb_dispatch`, `local.dynamodb_call_costs`); False serves them as moto's server
        does (the baseline of bench/emulation_dispatch.py)."""
        context = multiprocessing.get_context("spawn")
        parent_connection, child_connection = context.Pipe()
        self._process = context.Process(
            target=_serve,
            args=(child_connection, region, name, hot_items, os.getpid(), lean),
            name=name,
            daemon=True,
        )
        self._process.start()
        child_connection.close()
        self._connection = parent_connection

    @functools.cached_property
    def endpoint_url(self) -> str:
        """Waits for the process to serve (processes started one after another start side by side)."""
        if not self._connection.poll(_START_TIMEOUT_SECONDS):
            self._process.kill()
            raise RuntimeError(f"the AWS emulation {self._process.name} did not start")
        endpoint_url: str = self._connection.recv()
        self._connection.close()
        return endpoint_url

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def control(self, action: str, request: dict | None = None, timeout: float = 60) -> dict:
        http_request = urllib.request.Request(
            f"{self.endpoint_url}{_CONTROL_PREFIX}{action}",
            data=json.dumps(request or {}).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(http_request, timeout=timeout) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        """End the process (it ignores SIGTERM; what it holds is saved before, or not kept at all)."""
        self._process.kill()
        self._process.join(2)
