"""Lambda execution environments for `make run`: each function runs in processes of its own.

As in Lambda, a process holds one function with its own environment variables and serves one
invocation at a time; module state (Powertools' logger keys, metrics, cached clients) therefore
belongs to that function alone, and two functions invoked at once log their own names and request
ids. Processes are forked from a server that has preloaded the heavy libraries, and are kept warm.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from local.call_priority import BACKGROUND_NICENESS, runs_in_background
from local.lambda_runtime import lambda_context_for, load_handler
from local.template import LambdaFunction

log = logging.getLogger("local.sandboxes")


# How long past the function's Timeout a silent process is given before it is killed.
_TIMEOUT_GRACE_SECONDS = 2
_context = multiprocessing.get_context("forkserver")


def _preload_modules() -> None:
    """Name what the fork server imports, before it starts (with the first sandbox).

    Every sandbox runs the runtime's main module again (multiprocessing's `__mp_main__`). When that
    is one of ours (`local.run` under `make run`), the local modules imported by then are preloaded
    too, so that run finds its imports in the shared pages and imports nothing of its own.
    """
    main_spec = getattr(sys.modules["__main__"], "__spec__", None)
    runs_local = (getattr(main_spec, "name", None) or "").startswith("local.")
    runtime_modules = sorted(name for name in sys.modules if runs_local and name.startswith("local."))
    _context.set_forkserver_preload([*runtime_modules, "local.sandbox_preload"])


def name_process(name: str) -> None:
    """Show `name` in ps/top (Linux keeps 15 characters); elsewhere nothing happens."""
    try:
        with open("/proc/self/comm", "w") as comm:
            comm.write(name[:15])
    except OSError:
        pass


class FunctionError(Exception):
    """The handler raised; carries its type, message and traceback text."""


class SandboxGone(Exception):
    """The process ended or overran its timeout without answering; it has been discarded."""


def _serve(
    function: LambdaFunction,
    environment: dict[str, str],
    region: str,
    connection: Connection,
    log_path: str | None,
) -> None:
    # Ctrl-C reaches the whole process group; the runtime decides when environments end.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    name_process(f"fn-{function.logical_id.removesuffix('Function')}")
    if log_path:
        log_file = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(log_file, 1)
        os.dup2(log_file, 2)
    os.environ.update(environment)
    if runs_in_background(environment):
        os.nice(BACKGROUND_NICENESS)
    handler = load_handler(function)
    connection.send(("ready", None, None))
    while True:
        try:
            event = connection.recv()
        except (EOFError, OSError):
            return
        try:
            result = handler(event, lambda_context_for(function, region))
        except Exception as error:
            connection.send(("error", f"{type(error).__name__}: {error}", traceback.format_exc()))
        else:
            connection.send(("ok", result, None))


class Sandbox:
    """One process running one function, one invocation at a time."""

    def __init__(
        self,
        function: LambdaFunction,
        environment: dict[str, str],
        region: str,
        log_path: str | None = None,
    ):
        self.function = function
        _preload_modules()
        self._connection, child_connection = _context.Pipe()
        self._process = _context.Process(
            target=_serve,
            args=(function, environment, region, child_connection, log_path),
            name=f"lambda-{function.logical_id}",
            daemon=True,
        )
        self._process.start()
        child_connection.close()
        self._ready = False

    def wait_until_ready(self, timeout_seconds: float = 60) -> None:
        """Block until the handler is imported (the cold start), so the first invocation is warm."""
        if self._ready:
            return
        try:
            if not self._connection.poll(timeout_seconds):
                raise SandboxGone(f"{self.function.logical_id}: not ready within {timeout_seconds} s")
            outcome, _, _ = self._connection.recv()
        except (EOFError, OSError) as error:
            raise SandboxGone(f"{self.function.logical_id}: the process ended while starting") from error
        self._ready = outcome == "ready"

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def invoke(self, event: dict) -> Any:
        try:
            self.wait_until_ready()
            self._connection.send(event)
            answered = self._connection.poll(self.function.timeout_seconds + _TIMEOUT_GRACE_SECONDS)
            outcome, value, trace = self._connection.recv() if answered else (None, None, None)
        except (EOFError, OSError) as error:
            self.stop()
            raise SandboxGone(f"{self.function.logical_id}: the process ended") from error
        if outcome is None:
            self.stop()
            raise SandboxGone(f"{self.function.logical_id}: no answer within its timeout")
        if outcome == "error":
            raise FunctionError(f"{value}\n{trace}")
        return value

    def stop(self, grace_seconds: float = 0.5) -> None:
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(grace_seconds)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(1)
        self._connection.close()


class SandboxPool:
    """Warm sandboxes per function, up to `concurrency` at once; more invocations wait for one.

    Their output goes where the runtime's goes, or to `log_path` when one is given. As Lambda
    reclaims an idle execution environment, `reap_idle` ends the sandboxes nobody has used for a
    while; the next invocation of that function starts a new one (a cold start).
    """

    def __init__(
        self,
        environment_for: Callable[[LambdaFunction], dict[str, str]],
        region: str,
        concurrency: int = 2,
        log_path: str | None = None,
    ):
        self._log_path = log_path
        self._environment_for = environment_for
        self._region = region
        self._concurrency = concurrency
        self._condition = threading.Condition()
        self._idle: dict[str, list[Sandbox]] = {}
        self._count: dict[str, int] = {}
        self._busy: set[Sandbox] = set()
        self._idle_since: dict[Sandbox, float] = {}
        self._closed = False

    def warm(self, functions: list[LambdaFunction]) -> None:
        """Start one sandbox per function now, so the first requests do not pay the cold start."""
        started = [self._acquire(function) for function in functions]
        for sandbox in started:
            try:
                sandbox.wait_until_ready()
            finally:
                self._release(sandbox)

    def invoke(self, function: LambdaFunction, event: dict, *, keep_warm: bool = True) -> Any:
        """Run one invocation; with `keep_warm` false its sandbox ends after it, whatever the outcome."""
        sandbox = self._acquire(function)
        try:
            result = sandbox.invoke(event)
        except SandboxGone:
            self._discard(sandbox)
            raise
        except BaseException:
            self._finish(sandbox, keep_warm)
            raise
        self._finish(sandbox, keep_warm)
        return result

    def reap_idle(self, idle_seconds: float) -> list[str]:
        """End every sandbox idle for `idle_seconds` or more; returns their functions' names."""
        cutoff = time.monotonic() - idle_seconds
        with self._condition:
            reaped = [
                sandbox
                for idle in self._idle.values()
                for sandbox in idle
                if self._idle_since.get(sandbox, cutoff) <= cutoff
            ]
            for sandbox in reaped:
                name = sandbox.function.logical_id
                self._idle[name].remove(sandbox)
                self._idle_since.pop(sandbox, None)
                self._count[name] -= 1
            self._condition.notify_all()
        for sandbox in reaped:
            sandbox.stop()
        return [sandbox.function.logical_id for sandbox in reaped]

    def pids(self) -> list[int]:
        with self._condition:
            sandboxes = [*self._busy, *(s for idle in self._idle.values() for s in idle)]
        return [sandbox.pid for sandbox in sandboxes if sandbox.pid]

    def close(self, grace_seconds: float) -> None:
        """Refuse new invocations, give running ones `grace_seconds`, then end every process."""
        deadline = time.monotonic() + grace_seconds
        with self._condition:
            self._closed = True
            self._condition.notify_all()
            while self._busy and self._condition.wait(max(0.0, deadline - time.monotonic())):
                pass
            sandboxes = [*self._busy, *(s for idle in self._idle.values() for s in idle)]
            self._idle.clear()
        for sandbox in sandboxes:
            sandbox.stop(grace_seconds=0.2)

    def _acquire(self, function: LambdaFunction) -> Sandbox:
        name = function.logical_id
        with self._condition:
            while True:
                if self._closed:
                    raise SandboxGone("the runtime is stopping")
                if self._idle.get(name):
                    sandbox = self._idle[name].pop()
                    self._idle_since.pop(sandbox, None)
                    break
                if self._count.get(name, 0) < self._concurrency:
                    self._count[name] = self._count.get(name, 0) + 1
                    sandbox = None
                    break
                self._condition.wait()
            if sandbox is not None:
                self._busy.add(sandbox)
                return sandbox
        try:
            sandbox = Sandbox(function, self._environment_for(function), self._region, self._log_path)
        except BaseException:
            with self._condition:
                self._count[name] -= 1
                self._condition.notify_all()
            raise
        with self._condition:
            self._busy.add(sandbox)
        return sandbox

    def _finish(self, sandbox: Sandbox, keep_warm: bool) -> None:
        if keep_warm:
            self._release(sandbox)
        else:
            self._discard(sandbox)
            sandbox.stop()

    def _release(self, sandbox: Sandbox) -> None:
        with self._condition:
            self._busy.discard(sandbox)
            self._idle.setdefault(sandbox.function.logical_id, []).append(sandbox)
            self._idle_since[sandbox] = time.monotonic()
            self._condition.notify_all()

    def _discard(self, sandbox: Sandbox) -> None:
        with self._condition:
            self._busy.discard(sandbox)
            self._count[sandbox.function.logical_id] -= 1
            self._condition.notify_all()
