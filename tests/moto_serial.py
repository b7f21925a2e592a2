"""moto answers in-process requests one at a time, as the twin's emulation server does.

DynamoDB applies each request atomically; moto in-process does not guard its tables, and two threads
in TransactWriteItems break it ("dictionary changed size during iteration" while one copies a table
the other writes). The executor records a batch's runs in threads, so the in-process stacks (tests and
bench) take every moto request under one re-entrant lock (re-entrant: EventBridge delivers to SQS
inside its own request). The twin gets the same guarantee from `local.aws_server`'s lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from moto.core.botocore_stubber import BotocoreStubber


@contextmanager
def serialised_requests() -> Iterator[None]:
    """While inside, every moto request in this process holds one lock."""
    lock = threading.RLock()
    unguarded = BotocoreStubber.__call__

    def guarded(self, *args, **kwargs):
        with lock:
            return unguarded(self, *args, **kwargs)

    BotocoreStubber.__call__ = guarded
    try:
        yield
    finally:
        BotocoreStubber.__call__ = unguarded
