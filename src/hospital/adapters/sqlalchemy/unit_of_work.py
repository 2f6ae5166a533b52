"""The SQLAlchemy unit of work: one session, one transaction, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hospital.adapters.sqlalchemy.accounts import (
    SqlAlchemyPatientRepository,
    SqlAlchemyProfileRepository,
    SqlAlchemyRevokedTokenRepository,
    SqlAlchemyUserRepository,
)
from hospital.adapters.sqlalchemy.appointments import SqlAlchemyAppointmentQueries, SqlAlchemyAppointmentRepository
from hospital.adapters.sqlalchemy.catalogue import (
    SqlAlchemyAvailableTimeRepository,
    SqlAlchemyDoctorRepository,
    SqlAlchemyMedicalServiceRepository,
    SqlAlchemyTaxonRepository,
)
from hospital.adapters.sqlalchemy.contacts import SqlAlchemyContactRepository
from hospital.adapters.sqlalchemy.direct_reads import ReadSession, SqliteDirectReader
from hospital.adapters.sqlalchemy.doctor_reads import SqlAlchemyDoctorReadQueries
from hospital.adapters.sqlalchemy.patients import SqlAlchemyPatientQueries
from hospital.adapters.sqlalchemy.reviews import SqlAlchemyReviewRepository, SqlAlchemyReviewViews
from hospital.adapters.sqlalchemy.tables import catalogue as catalogue_tables
from hospital.application.errors import ServiceUnavailableError
from hospital.domain.taxonomy import Designation, Specialisation

# PostgreSQL error classes that mean "the database is not there right now", not "this request is
# wrong": connection exceptions (08), server shutting down or starting (57P01-57P03), insufficient
# resources such as too many connections (53), and a database that does not exist (3D000, dropped).
_UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "57P01", "57P02", "57P03", "53", "3D000")


def _is_unavailable(error: BaseException) -> bool:
    if isinstance(error, PoolTimeoutError | ConnectionError | OSError):
        return True
    if isinstance(error, OperationalError):
        return True
    if not isinstance(error, DBAPIError):
        return False
    sqlstate = getattr(error.orig, "sqlstate", None) or ""
    return error.connection_invalidated or sqlstate.startswith(_UNAVAILABLE_SQLSTATE_PREFIXES)


class SqlAlchemyUnitOfWork:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession],
                 direct_reader: SqliteDirectReader | None = None) -> None:
        self._session_factory = session_factory
        self._direct_reader = direct_reader

    async def __aenter__(self) -> Self:
        self.session = self._session_factory()
        reads: Any = self.session if self._direct_reader is None else ReadSession(self.session, self._direct_reader)
        self.users = SqlAlchemyUserRepository(self.session)
        self.profiles = SqlAlchemyProfileRepository(self.session)
        self.patients = SqlAlchemyPatientRepository(self.session)
        self.revoked_tokens = SqlAlchemyRevokedTokenRepository(self.session)
        self.doctors = SqlAlchemyDoctorRepository(self.session)
        self.reviews = SqlAlchemyReviewRepository(self.session)
        self.review_views = SqlAlchemyReviewViews(reads)
        self.patient_queries = SqlAlchemyPatientQueries(reads)
        self.appointments = SqlAlchemyAppointmentRepository(self.session)
        self.appointment_queries = SqlAlchemyAppointmentQueries(reads)
        self.doctor_reads = SqlAlchemyDoctorReadQueries(reads)
        self.designations = SqlAlchemyTaxonRepository(
            self.session, Designation, catalogue_tables.designations, "designation",
        )
        self.specialisations = SqlAlchemyTaxonRepository(
            self.session, Specialisation, catalogue_tables.specialisations, "specialisation",
        )
        self.available_times = SqlAlchemyAvailableTimeRepository(self.session)
        self.medical_services = SqlAlchemyMedicalServiceRepository(self.session)
        self.contacts = SqlAlchemyContactRepository(self.session)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        try:
            # close() rolls back what was not committed; rollback() would also expire every
            # loaded entity, and the use case still returns them after the block.
            await self.session.close()
        except Exception as cleanup_error:
            if exc is None and _is_unavailable(cleanup_error):
                raise ServiceUnavailableError() from cleanup_error
        if exc is not None and _is_unavailable(exc):
            raise ServiceUnavailableError() from exc

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()
