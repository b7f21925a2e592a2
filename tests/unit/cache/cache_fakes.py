"""Test doubles shared by the cache tests: recording logger and metrics, a fake clock, a counting loader."""

import threading
from collections import Counter
from typing import Any


class RecordingLogger:
    def __init__(self) -> None:
        self.records: list[tuple[str, str, dict[str, Any]]] = []

    def messages(self, level: str = "warning") -> list[str]:
        return [message for lvl, message, _ in self.records if lvl == level]

    def _record(self, level: str, message: str, **fields: Any) -> None:
        self.records.append((level, message, fields))

    def debug(self, message: str, **fields: Any) -> None:
        self._record("debug", message, **fields)

    def info(self, message: str, **fields: Any) -> None:
        self._record("info", message, **fields)

    def warning(self, message: str, **fields: Any) -> None:
        self._record("warning", message, **fields)

    def exception(self, message: str, **fields: Any) -> None:
        self._record("exception", message, **fields)


class RecordingMetrics:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._changed = threading.Condition()

    def add_metric(self, name: str, unit: Any, value: float) -> None:
        with self._changed:
            self.counts[name] += value
            self._changed.notify_all()

    def wait_for(self, name: str, count: float = 1, timeout: float = 5) -> bool:
        """True once `name` reached `count` (a metric is the scope's public signal of what it did)."""
        with self._changed:
            return self._changed.wait_for(lambda: self.counts[name] >= count, timeout)


class FakeClock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class RecordingSleep:
    """Returns at once; records what was asked and runs an optional hook (to change the world mid-wait)."""

    def __init__(self, hook: Any = None) -> None:
        self.calls: list[float] = []
        self.hook = hook

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        if self.hook is not None:
            self.hook(len(self.calls))


class Loader:
    """A loader answering `value` (a dict or None), counting calls; blocks on `release` when given one."""

    def __init__(self, value: Any, *, release: threading.Event | None = None) -> None:
        self.value = value
        self.calls = 0
        self.started = threading.Event()
        self.release = release
        self._lock = threading.Lock()

    def __call__(self) -> Any:
        with self._lock:
            self.calls += 1
        answer = self.value
        self.started.set()
        if self.release is not None:
            assert self.release.wait(10), "test never released the loader"
        return answer
