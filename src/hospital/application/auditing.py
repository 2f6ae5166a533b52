"""How the use cases report to the audit log (ports/audit.py): the entry for a call, and the refused
attempts of a block.

A change's event goes in its unit of work (``await uow.audit.append(entry(...))`` before the
commit), so it is stored with the change or not at all. A refusal changes nothing, so it goes to
the ``AuditLog``: ``attempt`` records it when the block raises a refusal, with the patients the use
case had learnt the attempt concerned (``attempt.concerns(patient_id)``), and re-raises.

A read goes to the ``AuditLog`` too, once it has answered: ``read`` for one item, ``search`` for a
list call (every patient whose data the page holds, and the filters), ``refused`` for a read that
was refused. They build the entry and hand it over; in the default ``batched`` mode that is a queue
append, and the hashing and writing happen later, off the request's path (adapters/audit_log.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from hospital.application.errors import AuthenticationError
from hospital.application.ports.audit import AuditLog
from hospital.application.request_context import current_request_context
from hospital.domain.actors import Actor
from hospital.domain.audit import AuditAction, AuditEntry, AuditOutcome, ResourceType
from hospital.domain.errors import DomainError, NotFoundError, PermissionDeniedError, ValidationError


def entry(actor: Actor, action: AuditAction, resource_type: ResourceType, *, resource_id: int | None = None,
          patient_ids: Iterable[int | None] = (), outcome: AuditOutcome = AuditOutcome.SUCCESS,
          username: str | None = None, filters: dict[str, object] | None = None) -> AuditEntry:
    """The entry for a call made now by ``actor``, from where the current request came from."""
    return AuditEntry.by(actor, action, resource_type, outcome=outcome, resource_id=resource_id,
                         patient_ids=patient_ids, username=username, filters=filters,
                         context=current_request_context())


def refusal_outcome(error: BaseException) -> AuditOutcome | None:
    """What a refusal is to the audit log; None for what is no refusal (a conflict of writers, an outage)."""
    if isinstance(error, NotFoundError):
        return AuditOutcome.NOT_FOUND
    if isinstance(error, PermissionDeniedError | AuthenticationError):
        return AuditOutcome.DENIED
    if isinstance(error, ValidationError):
        return AuditOutcome.INVALID
    return None


async def read(log: AuditLog, actor: Actor, resource_type: ResourceType, resource_id: int | None,
               patient_id: int | None) -> None:
    """One item read: its resource and the patient whose data it is (None: nobody's)."""
    # ``entry``'s work without its call: this is on every audited read's path.
    await log.record(AuditEntry.by(actor, AuditAction.READ, resource_type, resource_id=resource_id,
                                   patient_ids=(patient_id,), context=current_request_context()))


async def search(log: AuditLog, actor: Actor, resource_type: ResourceType, patient_ids: Iterable[int | None],
                 filters: dict[str, object] | None = None) -> None:
    """One list call: every patient whose data it returned, and the filters it was given."""
    await log.record(AuditEntry.by(actor, AuditAction.SEARCH, resource_type, patient_ids=patient_ids,
                                   filters=filters, context=current_request_context()))


Listed = TypeVar("Listed")


async def searched(log: AuditLog, actor: Actor, resource_type: ResourceType, listing: Awaitable[Listed],
                   patients_of: Callable[[Listed], Iterable[int | None]],
                   filters: dict[str, object] | None = None) -> Listed:
    """A list call, audited: ``listing``'s answer, with one event naming the patients ``patients_of``
    finds in it and the filters; or its refusal recorded (``refused``) and raised again."""
    try:
        found = await listing
    except DomainError as error:
        await refused(log, actor, AuditAction.SEARCH, resource_type, error, filters=filters)
        raise
    await search(log, actor, resource_type, patients_of(found), filters)
    return found


async def refused(log: AuditLog, actor: Actor, action: AuditAction, resource_type: ResourceType,
                  error: BaseException, *, resource_id: int | None = None,
                  patient_ids: Iterable[int | None] = (), filters: dict[str, object] | None = None) -> None:
    """Records ``error`` if it is a refusal (403, 404, 401, 400); the caller re-raises it."""
    outcome = refusal_outcome(error)
    if outcome is not None:
        await log.record(entry(actor, action, resource_type, resource_id=resource_id, patient_ids=patient_ids,
                               outcome=outcome, filters=filters))


@dataclass(slots=True)
class Attempt:
    """What a use case learnt about whose data it was reaching, before it may have been refused."""

    actor: Actor
    action: AuditAction
    resource_type: ResourceType
    resource_id: int | None = None
    patient_ids: list[int] = field(default_factory=list)

    def concerns(self, patient_id: int | None) -> None:
        if patient_id is not None and patient_id not in self.patient_ids:
            self.patient_ids.append(patient_id)


@asynccontextmanager
async def attempt(log: AuditLog, actor: Actor, action: AuditAction, resource_type: ResourceType, *,
                  resource_id: int | None = None, patient_id: int | None = None) -> AsyncIterator[Attempt]:
    """Records the block's refusal (403, 404, 401, 400) on ``log``, then lets it go on."""
    current = Attempt(actor, action, resource_type, resource_id)
    current.concerns(patient_id)
    try:
        yield current
    except DomainError as error:
        await refused(log, actor, action, resource_type, error, resource_id=current.resource_id,
                      patient_ids=current.patient_ids)
        raise
