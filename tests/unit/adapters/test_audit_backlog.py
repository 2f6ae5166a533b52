"""BufferedAuditLog's backlog: callers beyond it wait for the write under way, so that events cannot
outrun the store and the crash window stays bounded; a failing store does not hold them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from types import SimpleNamespace

from hospital.adapters.audit_log import BufferedAuditLog
from hospital.domain.audit import ActorRole, AuditAction, AuditEntry, AuditOutcome, ResourceType


def read(patient: int) -> AuditEntry:
    return AuditEntry(AuditAction.READ, ResourceType.PATIENT, AuditOutcome.SUCCESS, resource_id=patient,
                      patient_ids=(patient,), actor_user_id=1, actor_role=ActorRole.PATIENT)


class GatedStore:
    """Units of work whose batch write waits for ``gate``; ``fail`` makes it raise instead."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.fail = False
        self.batches: list[list[AuditEntry]] = []

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[SimpleNamespace]:
        async def append_many(entries: list[AuditEntry]) -> None:
            if self.fail:
                raise OSError("the store is down")
            await self.gate.wait()
            self.batches.append(list(entries))

        async def commit() -> None:
            return None

        yield SimpleNamespace(audit=SimpleNamespace(append_many=append_many), commit=commit)


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_caller_beyond_the_backlog_waits_for_the_write_under_way() -> None:
    store = GatedStore()
    log = BufferedAuditLog(store, "batched", interval=3600, batch_size=2, backlog=4)
    for patient in (1, 2):
        await log.record(read(patient))  # a full batch wakes the writer, which blocks on the gate
    await _settle()
    for patient in (3, 4, 5):
        await log.record(read(patient))  # below the backlog: returns at once
    beyond = asyncio.create_task(log.record(read(6)))  # the queue holds 4: the backlog
    await _settle()
    assert not beyond.done()
    store.gate.set()
    await asyncio.wait_for(beyond, 1)
    await log.close()
    assert [e.resource_id for batch in store.batches for e in batch] == [1, 2, 3, 4, 5, 6]


async def test_callers_below_the_backlog_never_wait_for_the_store() -> None:
    store = GatedStore()
    log = BufferedAuditLog(store, "batched", interval=3600, batch_size=2, backlog=100)
    for patient in range(1, 60):
        await asyncio.wait_for(log.record(read(patient)), 1)
    assert log.queued >= 57  # the writer is stuck on its first batch; nobody waited for it
    store.gate.set()
    await log.close()
    assert sum(len(batch) for batch in store.batches) == 59


async def test_a_failing_store_ends_the_wait_and_keeps_the_events() -> None:
    store = GatedStore()
    store.fail = True
    log = BufferedAuditLog(store, "batched", interval=0.01, batch_size=2, backlog=4)
    for patient in range(1, 10):
        await asyncio.wait_for(log.record(read(patient)), 1)  # each wait ends with a failed write
    assert log.queued == 9  # nothing lost: every failed batch went back to the queue
    store.fail = False
    store.gate.set()
    await log.close()
    assert sorted(e.resource_id for batch in store.batches for e in batch) == list(range(1, 10))
