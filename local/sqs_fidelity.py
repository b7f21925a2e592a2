"""moto's SQS made to cost what SQS costs for this workload.

moto asks "is this message visible? delayed?" by building two datetimes per message, and it does so
for every message of the queue on each send (to fill the queue's attributes) and each receive, so
a queue holding a few hundred delayed checks made a SendMessageBatch take half a second. The clock
moto reads in its SQS models is replaced by the same instant from `time.time()`.

moto also reads the queue's whole attribute dict (three counts over every message) for each message
it sends, only to ask whether content-based deduplication is on: with a thousand delayed checks in
the queue, a batch of ten cost 30,000 message visits. The queue's attributes are computed when a
caller reads one other than that flag.

moto remembers the receipt handle of every message ever deleted (so deleting twice succeeds, as in
SQS) in a set that only grows: a few hundred bytes per message, for ever. The local queues remember
the last `_DELETED_REMEMBERED` only; a second delete comes within seconds of the first (20,000, the
bound before, held ~6.5 MB per busy queue: under the soak's 1,300 deletes a minute, 2,000 still
covers a minute and a half).

Every message received asks for the queue's retention period through the same attribute dict (three
counts over the queue again), and every delete walked the queue twice, building each message's list
of receipt handles. Plain attributes are read from the queue alone, a delete finds its message in
one pass, and the visible messages are picked with one reading of the clock.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import moto.sqs.models as sqs_models
from moto.core.utils import camelcase_to_underscores
from moto.core.utils import unix_time as _moto_unix_time
from moto.sqs.exceptions import ReceiptHandleIsInvalid

_installed = threading.Lock()
_DEDUPLICATION = "ContentBasedDeduplication"
_DELETED_REMEMBERED = 2_000
_moto_queue_init = sqs_models.Queue.__init__
_all_attributes = sqs_models.Queue.attributes
# What the queue stores as it is; the other attributes count messages or are built from several fields.
_PLAIN_ATTRIBUTES = frozenset(
    name
    for name in sqs_models.Queue.BASE_ATTRIBUTES
    if not name.startswith("Approximate") and name not in ("Policy", "RedrivePolicy")
)


class _QueueAttributes(Mapping):
    """A queue's attributes, each computed on first read; the deduplication flag costs nothing."""

    def __init__(self, queue: sqs_models.Queue):
        self._queue = queue
        self._computed: dict[str, Any] | None = None

    def _all(self) -> dict[str, Any]:
        if self._computed is None:
            self._computed = _all_attributes.fget(self._queue)
        return self._computed

    def __getitem__(self, name: str) -> Any:
        if name == _DEDUPLICATION and self._computed is None:
            if not self._queue.fifo_queue:
                raise KeyError(name)
            return str(bool(self._queue.content_based_deduplication)).lower()
        if name in _PLAIN_ATTRIBUTES and self._computed is None:
            value = getattr(self._queue, camelcase_to_underscores(name))
            return str(value).lower() if isinstance(value, bool) else value
        return self._all()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def _unix_time(dt: datetime.datetime | None = None) -> float:
    return time.time() if dt is None else _moto_unix_time(dt)


def _unix_time_millis(dt: datetime.datetime | None = None) -> float:
    return _unix_time(dt) * 1000.0


class _RecentlyDeleted:
    """The receipt handles of the last messages deleted, oldest forgotten first."""

    def __init__(self, capacity: int = _DELETED_REMEMBERED):
        self._capacity = capacity
        self._handles: dict[str, None] = {}

    def __contains__(self, handle: object) -> bool:
        return handle in self._handles

    def update(self, handles: Iterable[str]) -> None:
        for handle in handles:
            self._handles[handle] = None
        while len(self._handles) > self._capacity:
            del self._handles[next(iter(self._handles))]


def _queue_init(self: sqs_models.Queue, *args: Any, **kwargs: Any) -> None:
    _moto_queue_init(self, *args, **kwargs)
    self.deleted_messages = _RecentlyDeleted()


def _visible_messages(self: sqs_models.Queue) -> list[sqs_models.Message]:
    now = _unix_time_millis()
    return [
        message for message in self._messages if message.visible_at < now and message.delayed_until <= now
    ]


def _delete_message(self: sqs_models.Queue, receipt_handle: str) -> None:
    if receipt_handle in self.deleted_messages:
        return
    for index, message in enumerate(self._messages):
        if message.receipt_handle == receipt_handle or receipt_handle in message._old_receipt_handles:
            del self._messages[index]
            self.pending_messages.discard(message)
            self.deleted_messages.update(message.all_receipt_handles)
            return
    raise ReceiptHandleIsInvalid()


def install_flat_sqs_costs() -> None:
    """The clock, the lazy attributes, the one-pass reads and deletes and the bounded memory of deletes
    above (idempotent)."""
    with _installed:
        sqs_models.unix_time = _unix_time
        sqs_models.unix_time_millis = _unix_time_millis
        sqs_models.Queue.attributes = property(_QueueAttributes)
        sqs_models.Queue.__init__ = _queue_init
        sqs_models.Queue.messages = property(_visible_messages)
        sqs_models.Queue.delete_message = _delete_message
