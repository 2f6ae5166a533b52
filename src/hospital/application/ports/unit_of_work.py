"""One transaction per use case: ``async with uow_factory() as uow: ...; await uow.commit()``.

What every store guarantees (SQL and in memory alike):

- **Every change to a record is serialised by its version.** A record is changed or deleted only
  if it is still the one this unit of work read: ``save`` and ``delete`` of every repository (and
  ``commit``, for changes made without a ``save``) raise ``ConcurrentChangeError`` when another
  unit changed or deleted it since, and nothing of this unit is then written. The command runs again
  from its load (``application/retry.py``). A doctor's id lists are part of the doctor's record.
- **The store enforces uniqueness** (usernames, slugs, one review per doctor...) when the row is
  written or at the latest at ``commit``, raising the same refusal the use case's own check raises.
- Inserts carry no version: a new record cannot have been changed by anyone else.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Protocol, Self

from hospital.application.ports.accounts import (
    PatientRepository,
    ProfileRepository,
    RevokedTokenRepository,
    UserRepository,
)
from hospital.application.ports.appointments import AppointmentRepository
from hospital.application.ports.audit import AuditTrail
from hospital.application.ports.catalogue import (
    AvailableTimeRepository,
    ContactRepository,
    DoctorReadQueries,
    DoctorRepository,
    MedicalServiceRepository,
    TaxonRepository,
)
from hospital.application.ports.idempotency import IdempotencyRecords
from hospital.application.ports.reviews import ReviewRepository, ReviewViews
from hospital.application.ports.schedules import ScheduleRepository, SlotSourceQueries
from hospital.domain.taxonomy import Designation, Specialisation


class SessionUnavailableError(RuntimeError):
    """A repository that the SQL store serves through its ORM session (revoked tokens, schedules)
    was used while the unit of work's transaction runs on the driver (a statement of users, profiles,
    patients, doctors, appointments, reviews, contacts, designations, specialisations, available
    times or services came first): commit or roll back first. A bug in the use case, never a
    client's error. The read ports never touch the session."""


class UnitOfWork(Protocol):
    """Rolled back unless committed; see the module's docstring for what its repositories guarantee."""

    users: UserRepository
    profiles: ProfileRepository
    patients: PatientRepository
    revoked_tokens: RevokedTokenRepository
    doctors: DoctorRepository
    reviews: ReviewRepository
    # Read ports bound to this unit's transaction, for commands that answer with a read model made
    # after their writes; pure reads use the read side (read_side.py) instead.
    review_views: ReviewViews
    appointments: AppointmentRepository
    doctor_reads: DoctorReadQueries
    designations: TaxonRepository[Designation]
    specialisations: TaxonRepository[Specialisation]
    available_times: AvailableTimeRepository
    medical_services: MedicalServiceRepository
    contacts: ContactRepository
    schedules: ScheduleRepository
    slot_sources: SlotSourceQueries
    idempotency: IdempotencyRecords
    # Written in this unit's transaction, usable in any (ports/audit.py).
    audit: AuditTrail

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        """Roll back whatever was not committed."""
        ...

    async def commit(self) -> None:
        """Make the work durable. Once the COMMIT is under way it runs to its end even if the caller
        is cancelled meanwhile, and the caller is told its outcome: it returns when the work
        committed (the cancellation is withdrawn), raises when it did not, and raises
        ``CommitOutcomeUnknownError`` when the database could not say (then anything the work refers
        to must be kept: application/staged_uploads.py). Raises ``ConcurrentChangeError`` (nothing
        written) for a record changed since it was read, and the domain's refusal for a duplicate
        found only now."""
        ...

    async def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
