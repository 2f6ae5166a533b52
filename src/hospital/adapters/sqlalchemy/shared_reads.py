"""One statement for many concurrent callers of the same tiny read, never a stale one.

Every doctor-list request first reads the data version (response_cache.py). On PostgreSQL that is
a round trip per request, and with sixteen requests in flight they all ask the same question at
once. ``SharedRead`` lets callers share an answer, but only an answer whose statement started
after they asked: a caller arriving while a statement runs waits for the next one, which starts as
soon as the running one ends and serves everyone who queued meanwhile. So a client that has just
seen its write committed still reads a version at least as new (read-your-writes holds), and a
burst of N callers costs two statements, not N.

The statements run in tasks of their own: a caller that goes away (its client disconnected) does
not cancel the answer others wait for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class SharedRead(Generic[T]):
    def __init__(self, fetch: Callable[[], Awaitable[T]]) -> None:
        self._fetch = fetch
        self._running: asyncio.Task[T] | None = None
        self._queued: asyncio.Task[T] | None = None

    async def __call__(self) -> T:
        if self._running is None:
            self._running = self._launch(self._fetch())
            return await asyncio.shield(self._running)
        if self._queued is None:
            self._queued = self._launch(self._fetch_after(self._running))
        return await asyncio.shield(self._queued)

    async def _fetch_after(self, running: asyncio.Task[T]) -> T:
        await asyncio.wait([running])  # its outcome is its own callers'; this batch asks afresh
        # From here on this batch is the running one: whoever arrives now queues for the next.
        self._running, self._queued = self._queued, None
        return await self._fetch()

    def _launch(self, work: Awaitable[T]) -> asyncio.Task[T]:
        task = asyncio.ensure_future(work)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[T]) -> None:
        if self._running is task:
            self._running = None
        if not task.cancelled():
            task.exception()  # every caller that stayed got it; one that left must not be warned about
