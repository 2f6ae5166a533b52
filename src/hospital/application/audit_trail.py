"""The audit log read back: the administrators' list, a patient's own access log, and the operator's
verification and pruning (docs/audit.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from hospital.application.access import require_admin, require_authenticated
from hospital.application.pagination import Page, PageRequest
from hospital.application.ports.audit import AuditEvents, AuditFilter
from hospital.application.ports.clock import Clock
from hospital.application.ports.unit_of_work import UnitOfWorkFactory
from hospital.application.retry import rerun_on_concurrent_change
from hospital.domain.actors import Actor
from hospital.domain.audit import ActorRole, AuditAction, AuditEvent, AuditOutcome, ResourceType, VerificationReport
from hospital.domain.errors import NotFoundError, ValidationError

# Lanes are retired within a day of opening (adapters/audit_lanes.py): a chain whose newest event is
# two days old can no longer be written, so pruning it cannot cut a chain still growing.
MIN_RETENTION_DAYS = 2


class ListAuditEvents:
    """Administrators only: a page of events, newest first, filtered."""

    def __init__(self, events: AuditEvents) -> None:
        self._events = events

    async def __call__(self, actor: Actor, *, page: PageRequest, where: AuditFilter) -> Page[AuditEvent]:
        require_admin(actor)
        return await self._events.list(page=page, where=where)


@dataclass(frozen=True, slots=True)
class AccessLogEntry:
    """One access to a patient's data as the patient is shown it: who (user and role), when, what,
    how it ended; never another patient's data, nor the filters of a list."""

    id: str
    recorded_at: datetime
    actor_user_id: int | None
    actor_role: ActorRole
    action: AuditAction
    resource_type: ResourceType
    resource_id: int | None
    outcome: AuditOutcome

    @classmethod
    def of(cls, event: AuditEvent) -> AccessLogEntry:
        entry = event.entry
        return cls(id=event.id, recorded_at=event.recorded_at, actor_user_id=entry.actor_user_id,
                   actor_role=entry.actor_role, action=entry.action, resource_type=entry.resource_type,
                   resource_id=entry.resource_id, outcome=entry.outcome)


class GetAccessLog:
    """A patient's accounting of who accessed their data: the patient themself and administrators;
    to anyone else the patient does not exist (404)."""

    def __init__(self, uow: UnitOfWorkFactory, events: AuditEvents) -> None:
        self._uow, self._events = uow, events

    async def __call__(self, actor: Actor, patient_id: int, *, page: PageRequest) -> Page[AccessLogEntry]:
        require_authenticated(actor)
        if not (actor.is_admin or actor.patient_id == patient_id):
            raise NotFoundError()
        if actor.is_admin:
            await self._ensure_patient(patient_id)
        found = await self._events.list(page=page, where=AuditFilter(patient_id=patient_id))
        return Page(items=[AccessLogEntry.of(event) for event in found.items], total=found.total, request=page)

    @rerun_on_concurrent_change
    async def _ensure_patient(self, patient_id: int) -> None:
        async with self._uow() as uow:
            if not await uow.patients.exists(patient_id):
                raise NotFoundError()


class VerifyAuditLog:
    """Every chain walked; the first changed, removed or reordered event of each (the operator's command)."""

    def __init__(self, events: AuditEvents) -> None:
        self._events = events

    async def __call__(self) -> VerificationReport:
        return await self._events.verify()


class PruneAuditLog:
    """Delete the chains whose newest event is older than ``days`` (whole chains: the rest verifies)."""

    def __init__(self, events: AuditEvents, clock: Clock, retention_days: int) -> None:
        self._events, self._clock, self.retention_days = events, clock, retention_days

    async def __call__(self, older_than_days: int | None = None) -> int:
        days = self.retention_days if older_than_days is None else older_than_days
        if days < MIN_RETENTION_DAYS:
            raise ValidationError.field(
                "older_than", f"Keep at least {MIN_RETENTION_DAYS} days: a younger chain may still be written.")
        return await self._events.prune(before=self._clock.now() - timedelta(days=days))
