"""moto's SQS made to cost what SQS costs for this workload.

moto asks "is this message visible? delayed?" by building two datetimes per message, and it does so
for every message of the queue on each send (to fill the queue's attributes) and each receive, so
a queue holding a few hundred delayed checks made a SendMessageBatch take half a second. The clock
moto reads in its SQS models is replaced by the same instant from `time.time()`.
"""

from __future__ import annotations

import datetime
import threading
import time

import moto.sqs.models as sqs_models
from moto.core.utils import unix_time as _moto_unix_time

_installed = threading.Lock()


def _unix_time(dt: datetime.datetime | None = None) -> float:
    return time.time() if dt is None else _moto_unix_time(dt)


def _unix_time_millis(dt: datetime.datetime | None = None) -> float:
    return _unix_time(dt) * 1000.0


def install_fast_sqs_clock() -> None:
    """Point moto's SQS models at a clock that costs one system call (idempotent)."""
    with _installed:
        sqs_models.unix_time = _unix_time
        sqs_models.unix_time_millis = _unix_time_millis
