"""Collaborators for unit tests of service rules: MemoryStore, a status cache whose acknowledgements
the test decides, a recording publisher and a clock that moves only when told."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.events import RecordingPublisher
from shared.retry import RetryPolicy
from shared.secrets import LocalKeyEncryptor
from shared.services.context import Collaborators
from tests.fakes.memory_store import MemoryStore

START = datetime(2030, 1, 1, tzinfo=UTC)
STALENESS = 18.0
TEST_SECRETS_KEY = "3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


class Cache:
    """A status cache whose acknowledgements the test decides; it records what was invalidated."""

    max_staleness_seconds = STALENESS

    def __init__(self) -> None:
        self.reachable = True
        self.invalidated: list[str] = []

    def invalidate(self, key: str) -> bool:
        self.invalidated.append(key)
        return self.reachable

    def invalidate_family(self) -> bool:
        return self.invalidate("*")


def fake_collaborators(store: MemoryStore | None = None, settings=None) -> Collaborators:
    """Collaborators on fakes only; retries never sleep."""
    return Collaborators(
        repository=store or MemoryStore(),
        cache=Cache(),
        publisher=RecordingPublisher(),
        settings=settings,
        clock=Clock(),
        conflicts=RetryPolicy(sleep=lambda _: None),
        encryptor=LocalKeyEncryptor(TEST_SECRETS_KEY),
    )
