"""The audit log's own transactions never record the caller's Idempotency-Key (application/idempotency.py:
``pending_request`` is taken by the next unit of work that commits in the caller's context).

A refused idempotent request (a 403 booking, say) records its refusal on the audit log. Written in
the caller's context (``sync`` mode), the audit's unit took the key and committed it pending, and
the client's retry with the same key was then told the request was still running; batched, the
background writer made during such a request kept its context for the process's life and did the
same at its first batch."""

from __future__ import annotations

import asyncio

from hospital.adapters.audit_log import BufferedAuditLog
from hospital.application.ports.idempotency import IdempotentRequest, pending_request
from hospital.bootstrap import Container
from hospital.domain.audit import ActorRole, AuditAction, AuditEntry, AuditOutcome, ResourceType

KEYED = IdempotentRequest.of("user:7", "retry-me", "POST", "/appointments/", b"{}")
REFUSAL = AuditEntry(AuditAction.CREATE, ResourceType.APPOINTMENT, AuditOutcome.DENIED, actor_user_id=7,
                     actor_role=ActorRole.DOCTOR)


async def _stored_key(container: Container) -> object:
    async with container.unit_of_work() as uow:
        return await uow.idempotency.find(KEYED.owner, KEYED.key)


async def test_a_refusal_written_at_once_leaves_the_key_to_its_request(any_container: Container) -> None:
    log = BufferedAuditLog(any_container.unit_of_work, "sync")
    token = pending_request.set(KEYED)
    try:
        await log.record(REFUSAL)
        assert pending_request.get() is KEYED  # still the request's own unit's to record
    finally:
        pending_request.reset(token)
    assert len(list(await any_container.audit_events().all_events())) == 1
    assert await _stored_key(any_container) is None


async def test_the_batch_writer_made_during_a_keyed_request_does_not_take_its_key(any_container: Container) -> None:
    log = BufferedAuditLog(any_container.unit_of_work, "batched", interval=0.01)
    token = pending_request.set(KEYED)
    try:
        await log.record(REFUSAL)  # the first event: the writer task is made here
    finally:
        pending_request.reset(token)
    for _ in range(200):
        if log.queued == 0 and list(await any_container.audit_events().all_events()):
            break
        await asyncio.sleep(0.01)
    await log.close()
    assert len(list(await any_container.audit_events().all_events())) == 1
    assert await _stored_key(any_container) is None
