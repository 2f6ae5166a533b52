"""Idempotency-Key (SCHEDULING.md section 9): a creating request sent again with the same key gets
the first answer again, and nothing is written twice.

One mechanism for every creating POST: the caller's layer names the request (``IdempotentRequest``:
the caller, the key, a fingerprint of method, path and body) in ``pending_request`` around the use
case; the unit of work that commits the use case's write also inserts the key's record, in the same
transaction (``IdempotencyRecords.reserve``). Of two requests with one key only one can commit it
(the record's primary key); the other's whole transaction rolls back (``KeyInUseError``) and it
answers what the first answered. The answer is recorded right after (``complete``); until then the
record is *pending* and a repeat waits for it. Only completed outcomes are kept: 2xx, and the 409 of
a taken slot; records are kept ``RETENTION``.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from hospital.application.ports.clock import Clock
from hospital.application.ports.idempotency import (
    PENDING,
    IdempotentRequest,
    KeyInUseError,
    StoredOutcome,
    pending_request,
)
from hospital.application.ports.unit_of_work import UnitOfWorkFactory
from hospital.application.retry import rerun_on_concurrent_change
from hospital.domain.errors import DomainError

RETENTION = timedelta(hours=24)
KEY_MAX = 255
__all__ = ["PENDING", "IdempotencyOutcomes", "IdempotentRequest", "KeyInUseError", "KeyReusedError",
           "StillRunningError", "StoredOutcome", "pending_request", "valid_key"]


class KeyReusedError(DomainError):
    """The key was used with a different request (422)."""

    default_message = "This Idempotency-Key was used with a different request."


class StillRunningError(DomainError):
    """The first request with this key has not finished (409)."""

    default_message = "A request with this Idempotency-Key is still in progress; retry shortly."


def valid_key(key: str) -> bool:
    return 1 <= len(key) <= KEY_MAX and all("\x21" <= character <= "\x7e" for character in key)


class IdempotencyOutcomes:
    """What the HTTP layer asks about keys: the stored outcome (waiting for a pending one), and recording one."""

    WAIT_SECONDS = 10.0
    POLL_SECONDS = 0.05

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def stored(self, request: IdempotentRequest, *, wait: bool = True) -> StoredOutcome | None:
        """The completed outcome for the key; KeyReusedError for another request's key;
        StillRunningError when it stays pending longer than WAIT_SECONDS."""
        waited = 0.0
        while True:
            found = await self._current(request)
            if found is None:
                return None
            if found.fingerprint != request.fingerprint:
                raise KeyReusedError()
            if not found.pending:
                return found
            if not wait or waited >= self.WAIT_SECONDS:
                raise StillRunningError()
            await asyncio.sleep(self.POLL_SECONDS)
            waited += self.POLL_SECONDS

    async def stored_after_refusal(self, request: IdempotentRequest) -> StoredOutcome | None:
        """``stored`` for a request refused because of a write it saw (the key's record, or the first
        request's booking: KeyInUseError, ClashError): first waits until that write has committed or
        failed, so the first request's record is there to replay unless it failed."""
        await self._settle()
        return await self.stored(request)

    @rerun_on_concurrent_change
    async def _settle(self) -> None:
        async with self._uow() as uow:
            await uow.idempotency.settle()
            await uow.commit()

    @rerun_on_concurrent_change
    async def _current(self, request: IdempotentRequest) -> StoredOutcome | None:
        """The key's record, unless it is older than RETENTION (then forgotten)."""
        async with self._uow() as uow:
            found = await uow.idempotency.find(request.owner, request.key)
            if found is not None and found.created_at < self._clock.now() - RETENTION:
                await uow.idempotency.forget(request.owner, request.key)
                await uow.commit()
                return None
        return found

    @rerun_on_concurrent_change
    async def record(self, request: IdempotentRequest, status_code: int, body: str) -> None:
        async with self._uow() as uow:
            await uow.idempotency.complete(request, status_code, body)
            await uow.commit()
