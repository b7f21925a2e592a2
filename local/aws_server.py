"""The AWS emulation of the local runtime: a moto server in a process of its own, one request at a time.

moto protects few of its structures against concurrent requests: two transactions at once raise
`dictionary changed size during iteration` or lose a write, and a rollback can undo a neighbour's
write. DynamoDB makes each call atomic, so the server serialises calls with one lock around moto's
request dispatch. The process keeps moto's work off the runtime's own interpreter lock, and takes
a few housekeeping requests under `/_local/` (TTL sweep, save, restore, usage) under the same lock,
so they see the state between two calls, never inside one.
"""

from __future__ import annotations

import contextlib
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

from local.call_priority import ForegroundFirstLock, is_background

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
        # Calls made for an HTTP client first; housekeeping takes it as they do.
        self.lock = ForegroundFirstLock()
        # Saves one at a time (the periodic one and the final one can meet), each on its own files.
        self.save_lock = threading.Lock()
        self.databases: dict[str, Any] = {}
        self.closed = False
        self.calls: Counter = Counter()
        self.busy: Counter = Counter()

    def __call__(self, environ: dict, start_response) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(_CONTROL_PREFIX):
            return self._control(path.removeprefix(_CONTROL_PREFIX), environ, start_response)
        operation = environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2] or path
        background = is_background(environ.get("HTTP_USER_AGENT", ""))
        with self.lock.background() if background else self.lock:
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
        """Stream the saved state into the tables and queues; an earlier format's files (`legacy`)
        are read when the database has none, moved into it, and removed."""
        from local import legacy_state, state_store

        with self.save_lock:
            database = self._database(request["path"])
            legacy = Path(request["legacy"]) if request.get("legacy") else None
            if database.has_state:
                items, queues = database.items(), database.queues()
            elif legacy is not None and (snapshot := legacy_state.read_state(legacy)) is not None:
                items, queues = legacy_state.saved_items(snapshot), snapshot["queues"]
            else:
                # Nothing saved yet: from now on the tables note their changes, so that the first
                # save is written by a forked writer, as every later one.
                with self.lock:
                    state_store.track_every_table(self.region)
                database.tracking = True
                return {"restored": False}
            with self.lock:
                state_store.restore(self.region, items, queues)
                moved = None
                if not database.has_state:
                    moved = state_store.as_json(state_store.capture(self.region, *self._kept(request)))
            if moved is not None:
                database.write(moved)
                for path in legacy_state.legacy_files(legacy):
                    path.unlink()
            database.tracking = True
        return {"restored": True}

    def _do_save(self, request: dict) -> dict:
        """What changed since the last save, or the whole state the first time, in one transaction."""
        from local import state_store

        with self.save_lock:
            database = self._database(request["path"])
            with self.lock:
                started = time.perf_counter()
                if request.get("final"):
                    self.closed = True
                if database.tracking:
                    captured = state_store.capture_changes(self.region, *self._kept(request))
                    writer = state_store.write_forked(database.path, captured)
                else:  # a process that restored nothing and tracked nothing yet (tests)
                    captured = state_store.as_json(state_store.capture(self.region, *self._kept(request)))
                    writer = None
                released = time.perf_counter()
            # Calls go on while the changes are converted and committed.
            if writer is None:
                database.write(captured)
            else:
                state_store.wait_for_writer(writer)
            database.tracking = True
        locked_ms, write_ms = (released - started) * 1000, (time.perf_counter() - released) * 1000
        return {
            "items": state_store.written_count(captured),
            "lockedMs": round(locked_ms, 1),
            "writeMs": round(write_ms, 1),
        }

    @staticmethod
    def _kept(request: dict) -> tuple[list[str], list[str]]:
        """The tables and queues this process saves (the runtime names them)."""
        return request.get("tables", []), request.get("queues", [])

    def _database(self, path: str):
        from local.state_database import StateDatabase

        database = self.databases.get(path)
        if database is None:
            database = self.databases[path] = StateDatabase(Path(path))
        return database

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
    # Threads enough for every waiting call to reach the lock, which picks the next (call_priority).
    server = create_server(application, host="127.0.0.1", port=0, threads=32, connection_limit=1000)
    connection.send(f"http://127.0.0.1:{server.effective_port}")
    server.run()


# What every emulation process imports, and the services whose models they parse, once before the
# processes are forked.
_EMULATED_SERVICES = ("dynamodb", "sqs", "events", "scheduler", "kms")
_EMULATION_MODULES = (
    "moto.server",
    "moto.dynamodb.models",
    "moto.dynamodb.responses",
    "moto.sqs.models",
    "moto.sqs.responses",
    "moto.events.models",
    "moto.events.responses",
    "moto.scheduler.models",
    "moto.scheduler.responses",
    "moto.kms.models",
    "moto.kms.responses",
    "moto.dynamodb.urls",
    "moto.sqs.urls",
    "moto.events.urls",
    "moto.scheduler.urls",
    "moto.kms.urls",
    "flask.debughelpers",
    # imported by moto on a process's first call (request authorisation, account bookkeeping,
    # EventBridge targets): ~8 MB of code and IAM's managed policies
    "moto.core.compat",
    "moto.iam.access_control",
    "moto.iam.models",
    "moto.s3.models",
    "moto.sts.models",
    "moto.cloudwatch.models",
    "moto.events.notifications",
    "moto.moto_api._internal.managed_state_model",
    "jsonpath_ng.ext",
    "waitress.server",
    "local.dynamodb_call_costs",
    "local.dynamodb_cold_items",
    "local.dynamodb_dispatch",
    "local.dynamodb_fidelity",
    "local.dynamodb_updates",
    "local.moto_overheads",
    "local.sqs_fidelity",
)


def _load_shared_state() -> None:
    """What a process would otherwise import and parse on its first calls, loaded before the fork."""
    import importlib

    for module in _EMULATION_MODULES:
        importlib.import_module(module)
    from moto.core.base_backend import AccountSpecificBackend
    from moto.core.utils import get_service_model

    for service in _EMULATED_SERVICES:  # the request parser's botocore models (~9 MB of JSON)
        get_service_model(service)
    # botocore's endpoints and each service's data (~9 MB parsed), read when a process first makes
    # an account's backends, to list their regions
    session = AccountSpecificBackend.get_session()
    for partition in session.get_available_partitions():
        for service in _EMULATED_SERVICES:
            session.get_available_regions(service, partition_name=partition)


def _serve_together(
    connections: list[Connection], region: str, specs: list[tuple[str, int]], parent: int, lean: bool
) -> None:
    """Import moto once, then fork a process for each spec but the last, which this one serves: the
    pages of the imports stay shared between them (each process would otherwise hold its own ~70 MB)."""
    import gc

    _load_shared_state()
    gc.freeze()  # a collection in a child would write to every page the imports sit on
    family = os.getpid()
    for index, (name, hot_items) in enumerate(specs[:-1]):
        if os.fork() == 0:
            connection = connections[index]
            for other in connections:
                if other is not connection:
                    other.close()
            connection.send(os.getpid())
            try:
                _serve(connection, region, name, hot_items, family, lean)
            finally:
                os._exit(1)
        connections[index].close()
    connections[-1].send(os.getpid())
    _serve(connections[-1], region, *specs[-1], parent, lean)


class EmulationProcess:
    """The parent's handle: the endpoint, the housekeeping requests, and the stop."""

    def __init__(self, name: str, connection: Connection, process: Any):
        """Use `start` or `start_together`. `process`: the multiprocessing handle of the spawned
        process; None for the processes it forked (ended by their pid)."""
        self.name = name
        self._connection = connection
        self._process = process
        self._pid: int | None = None

    @classmethod
    def start(
        cls, region: str, name: str = "aws-emulation", hot_items: int = 0, lean: bool = True
    ) -> EmulationProcess:
        """`hot_items`: items of tables with a sort key kept in memory at most (0: all of them);
        `lean`: DynamoDB calls skip moto's Flask application and some of its per-call costs
        (`local.dynamodb_dispatch`, `local.dynamodb_call_costs`); False serves them as moto's server
        does (the baseline of bench/emulation_dispatch.py)."""
        return cls.start_together(region, [(name, hot_items)], lean=lean)[0]

    @classmethod
    def start_together(
        cls, region: str, specs: list[tuple[str, int]], lean: bool = True
    ) -> list[EmulationProcess]:
        """One process per (name, hot items), forked from one that imported moto once."""
        context = multiprocessing.get_context("spawn")
        pipes = [context.Pipe() for _ in specs]
        process = context.Process(
            target=_serve_together,
            args=([child for _, child in pipes], region, specs, os.getpid(), lean),
            name=specs[-1][0],
            daemon=True,
        )
        process.start()
        for _, child in pipes:
            child.close()
        last = len(specs) - 1
        return [
            cls(name, parent, process if index == last else None)
            for index, ((parent, _), (name, _)) in enumerate(zip(pipes, specs, strict=True))
        ]

    @functools.cached_property
    def endpoint_url(self) -> str:
        """Waits for the process to serve (processes started one after another start side by side)."""
        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        try:
            for message in ("pid", "endpoint"):
                if not self._connection.poll(max(0.0, deadline - time.monotonic())):
                    raise RuntimeError(f"the AWS emulation {self.name} did not start ({message})")
                if message == "pid":
                    self._pid = self._connection.recv()
            endpoint_url: str = self._connection.recv()
        except (RuntimeError, EOFError):
            self.stop()
            raise
        self._connection.close()
        return endpoint_url

    @property
    def pid(self) -> int | None:
        if self._process is not None:
            return self._process.pid
        self.endpoint_url  # noqa: B018 - the pid of a forked process arrives before its endpoint
        return self._pid

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
        if self._process is not None:
            self._process.kill()
            self._process.join(2)
        elif self._pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
