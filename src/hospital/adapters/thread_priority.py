"""Worker threads that yield the CPU to the event loop, which serves every other request."""

from __future__ import annotations

import contextlib
import os
import sys
import threading


def lower_this_threads_priority(niceness: int) -> None:
    """Raise the calling thread's nice value by ``niceness``. Linux keeps a nice value per thread, so
    this touches only that thread; elsewhere it would renice the whole process, so it is not attempted."""
    if not sys.platform.startswith("linux"):
        return
    thread = threading.get_native_id()
    with contextlib.suppress(OSError):  # not allowed here: the thread still works, at the loop's priority
        os.setpriority(os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread) + niceness)
