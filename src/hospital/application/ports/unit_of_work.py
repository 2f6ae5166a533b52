"""One transaction per use case: ``async with uow_factory() as uow: ...; await uow.commit()``."""

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
from hospital.application.ports.appointments import AppointmentQueries, AppointmentRepository
from hospital.application.ports.catalogue import (
    AvailableTimeRepository,
    ContactRepository,
    DoctorReadQueries,
    DoctorRepository,
    MedicalServiceRepository,
    TaxonRepository,
)
from hospital.application.ports.patients import PatientQueries
from hospital.application.ports.reviews import ReviewRepository, ReviewViews
from hospital.domain.taxonomy import Designation, Specialisation


class SessionUnavailableError(RuntimeError):
    """A repository that loads or changes aggregates was used while the unit of work's transaction is
    a booking's (``appointments.book`` was its first write): commit or roll back first. A bug in the
    use case, never a client's error."""


class UnitOfWork(Protocol):
    users: UserRepository
    profiles: ProfileRepository
    patients: PatientRepository
    revoked_tokens: RevokedTokenRepository
    doctors: DoctorRepository
    reviews: ReviewRepository
    review_views: ReviewViews
    patient_queries: PatientQueries
    appointments: AppointmentRepository
    appointment_queries: AppointmentQueries
    doctor_reads: DoctorReadQueries
    designations: TaxonRepository[Designation]
    specialisations: TaxonRepository[Specialisation]
    available_times: AvailableTimeRepository
    medical_services: MedicalServiceRepository
    contacts: ContactRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        """Roll back whatever was not committed."""
        ...

    async def commit(self) -> None:
        """Make the work durable. Once the COMMIT is under way it runs to its end even if the caller
        is cancelled meanwhile, and the caller is told its outcome: it returns when the work
        committed (the cancellation is withdrawn), raises when it did not, and raises
        ``CommitOutcomeUnknownError`` when the database never said (then anything the work refers
        to must be kept: application/staged_uploads.py)."""
        ...

    async def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
