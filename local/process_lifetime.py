"""A child process of the local runtime never outlives it, even when the runtime is SIGKILLed."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """Called in the child: the kernel SIGKILLs it when the thread that started it ends (Linux only;
    elsewhere nothing happens). The thread must live as long as the runtime: the main thread does."""
    if not sys.platform.startswith("linux"):
        return
    prctl = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl
    prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    # The parent may have died before the request was made: then nobody would send the signal.
    if os.getppid() != parent_pid:
        os._exit(1)
