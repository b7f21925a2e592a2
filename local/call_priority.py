"""Which waiting call the DynamoDB emulation serves next: calls made for a client first.

The emulation answers one call at a time, where DynamoDB serves a table's calls side by side. So a
call waits for every call queued before it: behind the executor's batches (ten runs recorded at once
in each executor sandbox) a satellite's post or a dashboard's read waited for twenty calls or more,
a wait DynamoDB never makes anyone take. Calls from the functions that answer HTTP requests go
first; background work (the executor, the notifier, the scheduled functions) takes the lock whenever
no such call waits, so the emulation stays busy with the same work and only the order changes.

A background function's clients say what they are in their User-Agent (`AWS_SDK_UA_APP_ID`, which
botocore adds as `app/<id>`), set in its environment by the runtime (`local.emulation`).

The same holds for the CPU: in AWS each execution environment has its own, here every sandbox
shares the machine's few cores, and the executor's ten-run batches took them from the requests
waiting to be answered. So background sandboxes run at a lower priority (`BACKGROUND_NICENESS`):
they get every cycle the request path leaves and wait only while it needs the CPU.
"""

from __future__ import annotations

import threading

BACKGROUND_APP_ID = "hc-background"
_BACKGROUND_MARK = f"app/{BACKGROUND_APP_ID}"


BACKGROUND_NICENESS = 10


def is_background(user_agent: str) -> bool:
    return _BACKGROUND_MARK in user_agent


def runs_in_background(environment: dict[str, str]) -> bool:
    """Whether a function with this environment is background work (see the module docstring)."""
    return environment.get("AWS_SDK_UA_APP_ID") == BACKGROUND_APP_ID


class ForegroundFirstLock:
    """A lock that, when released, goes to a waiting foreground caller before any background one."""

    def __init__(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._held = False
        self._foreground_waiting = 0

    def acquire(self, background: bool = False) -> None:
        with self._condition:
            if background:
                while self._held or self._foreground_waiting:
                    self._condition.wait()
            else:
                self._foreground_waiting += 1
                while self._held:
                    self._condition.wait()
                self._foreground_waiting -= 1
            self._held = True

    def release(self) -> None:
        with self._condition:
            self._held = False
            self._condition.notify_all()

    def __enter__(self) -> ForegroundFirstLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def background(self) -> _Background:
        """`with lock.background():` takes it as a background caller."""
        return _Background(self)


class _Background:
    def __init__(self, lock: ForegroundFirstLock):
        self._lock = lock

    def __enter__(self) -> None:
        self._lock.acquire(background=True)

    def __exit__(self, *exc_info: object) -> None:
        self._lock.release()
