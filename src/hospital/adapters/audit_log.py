"""``AuditLog`` for events that change nothing (reads, refusals, logins), on any store: each batch is
one unit of work of its own (``uow.audit.append_many``), so it is chained and stored like a change's.

Modes (``HOSPITAL_AUDIT_READS``):

- ``batched`` (default): ``record`` only queues the event; a background task writes the queue every
  ``interval`` seconds (100 ms), at once when ``batch_size`` (500) events wait, and at ``close``
  (shutdown). **The crash window**: a process killed without its shutdown loses what is queued, at
  most the events of the last interval (and of a write under way), and never a change's event.
  When events come faster than the store writes them, the queue would grow, and the window with it:
  beyond ``backlog`` (2,000) queued events, ``record`` waits for the write under way to end before it
  returns, so callers are slowed to the log's pace and a crash loses at most about ``backlog`` plus
  one batch. A write that fails ends that wait too: while the store refuses batches, callers go on.
  A batch that cannot be written (the database is down) goes back to the queue and is tried
  again at the next interval; beyond ``max_queued`` events the oldest are dropped, and a log line
  says how many.
- ``sync``: ``record`` returns when the event is stored (a unit of work per event).
- ``off``: successful reads and lists are not recorded; refusals and authentication events are,
  as in ``batched``.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import Callable
from typing import Any

from hospital.application.ports.idempotency import pending_request
from hospital.application.retry import rerun_on_concurrent_change
from hospital.domain.audit import AuditAction, AuditEntry, AuditOutcome

logger = logging.getLogger("hospital.audit")

READS = frozenset({AuditAction.READ, AuditAction.SEARCH})
INTERVAL_SECONDS = 0.1
BATCH_SIZE = 500
MAX_QUEUED = 100_000
BACKLOG = 2_000


def is_plain_read(entry: AuditEntry) -> bool:
    return entry.action in READS and entry.outcome is AuditOutcome.SUCCESS


class BufferedAuditLog:
    def __init__(self, uow: Callable[[], Any], mode: str = "batched", *, interval: float = INTERVAL_SECONDS,
                 batch_size: int = BATCH_SIZE, max_queued: int = MAX_QUEUED, backlog: int = BACKLOG) -> None:
        if mode not in {"batched", "sync", "off"}:
            raise ValueError(f"audit reads mode must be batched, sync or off, not {mode!r}")
        self._uow, self.mode = uow, mode
        self._interval, self._batch_size, self._max_queued = interval, batch_size, max_queued
        self._backlog = backlog
        # Set when a batch's write has ended (stored or failed), then replaced by a fresh one: what a
        # caller beyond the backlog waits for.
        self._written = asyncio.Event()
        self._queue: list[AuditEntry] = []
        self._wake = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()  # one batch written at a time: flush() waits for the one under way
        self._closed = False

    async def record(self, entry: AuditEntry) -> None:
        if self.mode == "off" and is_plain_read(entry):
            return
        if self.mode == "sync" or self._closed:
            await self._write([entry])
            return
        self._queue.append(entry)
        if len(self._queue) > self._max_queued:
            dropped = len(self._queue) - self._max_queued
            del self._queue[:dropped]
            logger.error("audit events dropped: the queue is full", extra={"dropped": dropped})
        if len(self._queue) >= self._batch_size:
            self._wake.set()
        self._ensure_writer()
        if len(self._queue) >= self._backlog:
            await self._written.wait()  # the writer is behind: wait for its write under way

    def _ensure_writer(self) -> None:
        if self._writer is None or self._writer.done():
            # A context of its own: made inside a request, the task would otherwise keep that
            # request's context variables for the process's life (its Idempotency-Key among them).
            self._writer = asyncio.get_running_loop().create_task(self._run(), name="audit-log-writer",
                                                                   context=contextvars.Context())

    async def _run(self) -> None:
        while not self._closed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()
            try:
                await self.flush()
            except Exception:  # the batch is queued again; the next interval tries again
                logger.warning("audit events not written yet; retrying", exc_info=True)

    async def flush(self) -> None:
        async with self._lock:
            while self._queue:
                batch, self._queue = self._queue[:self._batch_size], self._queue[self._batch_size:]
                try:
                    await self._write(batch)
                except BaseException:
                    self._queue[:0] = batch
                    raise
                finally:
                    written, self._written = self._written, asyncio.Event()
                    written.set()

    @rerun_on_concurrent_change  # a connection lost before the COMMIT: written again at once
    async def _write(self, entries: list[AuditEntry]) -> None:
        # The audit's own transaction never takes the caller's Idempotency-Key (a refused request's
        # event written in ``sync`` mode, or at shutdown): the key is its change's to record.
        token = pending_request.set(None)
        try:
            async with self._uow() as uow:
                await uow.audit.append_many(entries)
                await uow.commit()
        finally:
            pending_request.reset(token)

    @property
    def queued(self) -> int:
        return len(self._queue)

    async def close(self) -> None:
        self._closed = True
        writer, self._writer = self._writer, None
        if writer is not None:
            self._wake.set()  # it writes what is queued, sees it is closed, and ends
            with contextlib.suppress(Exception):
                await writer
        try:
            await self.flush()
        except Exception:
            logger.error("audit events lost at shutdown: the store refused them",
                         extra={"lost": len(self._queue)}, exc_info=True)
