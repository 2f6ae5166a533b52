"""The in-memory unit of work: one transaction of the in-memory database (database.py).

It keeps the SQL unit of work's one restriction (``SessionUnavailableError``): when a unit's first
statement in a transaction is one of the repositories the SQL store serves on the database driver
(users, profiles, patients, appointments, reviews, doctors, contacts, designations, specialisations,
available times, services: entity_table.py there), its transaction is a driver transaction, and until
it commits or rolls back the repositories served through the ORM session (revoked tokens, schedules)
raise ``SessionUnavailableError``; one of those used first
makes the unit's transaction an ordinary one, which every repository then joins. Here the same use
case fails the same way.
"""

from __future__ import annotations

import inspect
from enum import Enum, auto
from types import TracebackType
from typing import Any, Self

from hospital.adapters.audit_lanes import AuditLanes
from hospital.adapters.clock import SystemClock
from hospital.adapters.memory.accounts import (
    InMemoryPatientRepository,
    InMemoryProfileRepository,
    InMemoryRevokedTokenRepository,
    InMemoryUserRepository,
)
from hospital.adapters.memory.appointments import InMemoryAppointmentRepository
from hospital.adapters.memory.audit import InMemoryAuditTrail
from hospital.adapters.memory.catalogue import (
    InMemoryAvailableTimeRepository,
    InMemoryDoctorRepository,
    InMemoryMedicalServiceRepository,
    InMemoryTaxonRepository,
)
from hospital.adapters.memory.contacts import InMemoryContactRepository
from hospital.adapters.memory.database import InMemoryDatabase
from hospital.adapters.memory.doctor_reads import InMemoryDoctorReadQueries
from hospital.adapters.memory.idempotency import InMemoryIdempotencyRecords
from hospital.adapters.memory.reviews import InMemoryReviewRepository, InMemoryReviewViews
from hospital.adapters.memory.schedules import InMemoryScheduleRepository, InMemorySlotSourceQueries
from hospital.application.ports.clock import Clock
from hospital.application.ports.idempotency import KeyInUseError, pending_request
from hospital.application.ports.unit_of_work import SessionUnavailableError


class _Transaction(Enum):
    NONE = auto()
    ORDINARY = auto()  # the SQL store's session transaction
    DRIVER = auto()  # the SQL store's driver transaction


class _ThroughTheSession:
    """A repository the SQL store serves through its ORM session: refused in a booking's transaction,
    and otherwise its use makes the unit's transaction an ordinary one. ``free`` names the methods
    the SQL store serves without the session."""

    def __init__(self, repository: Any, uow: InMemoryUnitOfWork, free: frozenset[str] = frozenset()) -> None:
        self._repository, self._uow, self._free = repository, uow, free

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._repository, name)
        if name in self._free or not inspect.iscoroutinefunction(attribute):
            return attribute
        uow = self._uow

        async def in_an_ordinary_transaction(*args: Any, **kwargs: Any) -> Any:
            uow.use_session()
            return await attribute(*args, **kwargs)

        return in_an_ordinary_transaction


class _OnTheDriver(_ThroughTheSession):
    """A repository the SQL store serves with prepared statements in the unit's transaction: its
    first use begins a driver transaction, unless the unit has one of either kind already. ``free``
    names the methods that read outside any transaction there (and begin none)."""

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._repository, name)
        if name in self._free or not inspect.iscoroutinefunction(attribute):
            return attribute
        uow = self._uow

        async def in_the_units_transaction(*args: Any, **kwargs: Any) -> Any:
            uow.use_driver()
            return await attribute(*args, **kwargs)

        return in_the_units_transaction


class InMemoryUnitOfWork:
    """One transaction of the in-memory database (database.py): rolled back unless committed, and
    refused at save, delete or commit if another unit of work changed its rows since it read them."""

    def __init__(self, db: InMemoryDatabase, audit_lanes: AuditLanes | None = None,
                 clock: Clock | None = None) -> None:
        self._transaction = db = db.transaction()  # type: ignore[assignment]
        self._kind = _Transaction.NONE
        # Free in a booking's transaction too: the SQL store writes events in either kind.
        self.audit = InMemoryAuditTrail(db, audit_lanes if audit_lanes is not None else AuditLanes(),
                                        clock if clock is not None else SystemClock())
        orm = _ThroughTheSession
        self.revoked_tokens = orm(InMemoryRevokedTokenRepository(db), self)
        self.review_views = InMemoryReviewViews(db)
        driver = _OnTheDriver
        self.users = driver(InMemoryUserRepository(db), self,
                            frozenset({"actor_for", "username_of", "get_by_username"}))
        self.profiles = driver(InMemoryProfileRepository(db), self)
        self.reviews = driver(InMemoryReviewRepository(db), self)
        self.doctors = driver(InMemoryDoctorRepository(db), self, frozenset({"available_time_ids", "exists"}))
        self.patients = driver(InMemoryPatientRepository(db), self, frozenset({"exists"}))
        self.appointments = driver(InMemoryAppointmentRepository(db), self, frozenset({"exists_between"}))
        self.doctor_reads = InMemoryDoctorReadQueries(db)
        reads = frozenset({"existing_ids", "slug_taken"})
        self.designations = driver(InMemoryTaxonRepository(
            db, table_name="designations", doctor_attribute="designation_ids", label="designation",
        ), self, reads)
        self.specialisations = driver(InMemoryTaxonRepository(
            db, table_name="specialisations", doctor_attribute="specialisation_ids", label="specialisation",
        ), self, reads)
        self.available_times = driver(InMemoryAvailableTimeRepository(db), self, reads)
        self.medical_services = driver(InMemoryMedicalServiceRepository(db), self, reads)
        self.contacts = driver(InMemoryContactRepository(db), self, reads)
        self.schedules = orm(InMemoryScheduleRepository(db), self)
        self.slot_sources = InMemorySlotSourceQueries(db)
        self.idempotency = InMemoryIdempotencyRecords(db)

    def use_session(self) -> None:
        if self._kind is _Transaction.DRIVER:
            raise SessionUnavailableError(
                "This unit of work's transaction runs on the driver (it began with a driver write); "
                "commit or roll it back before using the ORM."
            )
        self._kind = _Transaction.ORDINARY

    def use_driver(self) -> None:
        if self._kind is _Transaction.NONE:
            self._kind = _Transaction.DRIVER

    async def __aenter__(self) -> Self:
        self._transaction.begin()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self.audit.end(committed=False)
        self._transaction.end()
        self._kind = _Transaction.NONE

    async def commit(self) -> None:
        # The pending Idempotency-Key's record commits with the write it answers (one synchronous step).
        request = pending_request.get()
        recorded = request is not None and self._kind is not _Transaction.NONE
        try:
            if recorded:
                await self.idempotency.reserve(request)
            if self.idempotency.taken_since_read():
                raise KeyInUseError()
            self._transaction.commit()
        except BaseException:
            self.audit.end(committed=False)
            raise
        self.audit.end(committed=True)
        self._kind = _Transaction.NONE
        if recorded:
            pending_request.set(None)  # only once committed: a unit run again records it again

    async def rollback(self) -> None:
        self.audit.end(committed=False)
        self._transaction.rollback()
        self._kind = _Transaction.NONE
