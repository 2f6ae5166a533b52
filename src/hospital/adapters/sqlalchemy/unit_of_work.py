"""The SQLAlchemy unit of work: one session, one transaction, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hospital.adapters.sqlalchemy.accounts import (
    SqlAlchemyPatientRepository,
    SqlAlchemyProfileRepository,
    SqlAlchemyRevokedTokenRepository,
    SqlAlchemyUserRepository,
)
from hospital.adapters.sqlalchemy.catalogue import (
    SqlAlchemyAvailableTimeRepository,
    SqlAlchemyDoctorRepository,
    SqlAlchemyMedicalServiceRepository,
    SqlAlchemyTaxonRepository,
)
from hospital.adapters.sqlalchemy.contacts import SqlAlchemyContactRepository
from hospital.adapters.sqlalchemy.doctor_reads import SqlAlchemyDoctorReadQueries
from hospital.adapters.sqlalchemy.tables import catalogue as catalogue_tables
from hospital.application.errors import ServiceUnavailableError
from hospital.domain.taxonomy import Designation, Specialisation


def _is_unavailable(error: BaseException) -> bool:
    if isinstance(error, PoolTimeoutError | ConnectionError | OSError):
        return True
    if isinstance(error, OperationalError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


class SqlAlchemyUnitOfWork:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def __aenter__(self) -> Self:
        self.session = self._session_factory()
        self.users = SqlAlchemyUserRepository(self.session)
        self.profiles = SqlAlchemyProfileRepository(self.session)
        self.patients = SqlAlchemyPatientRepository(self.session)
        self.revoked_tokens = SqlAlchemyRevokedTokenRepository(self.session)
        self.doctors = SqlAlchemyDoctorRepository(self.session)
        self.doctor_reads = SqlAlchemyDoctorReadQueries(self.session)
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
