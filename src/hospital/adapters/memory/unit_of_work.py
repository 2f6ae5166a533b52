"""The in-memory unit of work: a snapshot on entry, restored unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from hospital.adapters.memory.accounts import (
    InMemoryPatientRepository,
    InMemoryProfileRepository,
    InMemoryRevokedTokenRepository,
    InMemoryUserRepository,
)
from hospital.adapters.memory.appointments import InMemoryAppointmentQueries, InMemoryAppointmentRepository
from hospital.adapters.memory.catalogue import (
    InMemoryAvailableTimeRepository,
    InMemoryDoctorRepository,
    InMemoryMedicalServiceRepository,
    InMemoryTaxonRepository,
)
from hospital.adapters.memory.contacts import InMemoryContactRepository
from hospital.adapters.memory.database import InMemoryDatabase
from hospital.adapters.memory.doctor_reads import InMemoryDoctorReadQueries
from hospital.adapters.memory.patients import InMemoryPatientQueries
from hospital.adapters.memory.reviews import InMemoryReviewRepository, InMemoryReviewViews


class InMemoryUnitOfWork:
    """One transaction of the in-memory database (database.py): rolled back unless committed, and
    refused at save, delete or commit if another unit of work changed its rows since it read them."""

    def __init__(self, db: InMemoryDatabase) -> None:
        self._transaction = db = db.transaction()  # type: ignore[assignment]
        self.users = InMemoryUserRepository(db)
        self.profiles = InMemoryProfileRepository(db)
        self.patients = InMemoryPatientRepository(db)
        self.revoked_tokens = InMemoryRevokedTokenRepository(db)
        self.doctors = InMemoryDoctorRepository(db)
        self.reviews = InMemoryReviewRepository(db)
        self.review_views = InMemoryReviewViews(db)
        self.patient_queries = InMemoryPatientQueries(db)
        self.appointments = InMemoryAppointmentRepository(db)
        self.appointment_queries = InMemoryAppointmentQueries(db)
        self.doctor_reads = InMemoryDoctorReadQueries(db)
        self.designations = InMemoryTaxonRepository(
            db, table_name="designations", doctor_attribute="designation_ids", label="designation",
        )
        self.specialisations = InMemoryTaxonRepository(
            db, table_name="specialisations", doctor_attribute="specialisation_ids", label="specialisation",
        )
        self.available_times = InMemoryAvailableTimeRepository(db)
        self.medical_services = InMemoryMedicalServiceRepository(db)
        self.contacts = InMemoryContactRepository(db)

    async def __aenter__(self) -> Self:
        self._transaction.begin()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self._transaction.end()

    async def commit(self) -> None:
        self._transaction.commit()

    async def rollback(self) -> None:
        self._transaction.rollback()
