"""The SQLAlchemy unit of work: one session, one transaction, rolled back unless committed."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from functools import cached_property
from types import TracebackType
from typing import Any, Self

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hospital.adapters.audit_lanes import AuditLanes
from hospital.adapters.clock import SystemClock
from hospital.adapters.sqlalchemy.accounts import (
    SqlAlchemyPatientRepository,
    SqlAlchemyProfileRepository,
    SqlAlchemyRevokedTokenRepository,
    SqlAlchemyUserRepository,
)
from hospital.adapters.sqlalchemy.appointments import SqlAlchemyAppointmentRepository
from hospital.adapters.sqlalchemy.audit import SqlAlchemyAuditTrail
from hospital.adapters.sqlalchemy.booking_statement import STORED_EVENT, DeferredBooking, HashMismatchError
from hospital.adapters.sqlalchemy.catalogue import (
    SqlAlchemyAvailableTimeRepository,
    SqlAlchemyDoctorRepository,
    SqlAlchemyMedicalServiceRepository,
    SqlAlchemyTaxonRepository,
)
from hospital.adapters.sqlalchemy.commit_outcome import outcome_of, rolled_back_for_sure
from hospital.adapters.sqlalchemy.contacts import SqlAlchemyContactRepository
from hospital.adapters.sqlalchemy.database_errors import is_connection_fault, is_unavailable, raise_as_domain_error
from hospital.adapters.sqlalchemy.direct_reads import AsyncpgDirectReader, DirectReader, Reads
from hospital.adapters.sqlalchemy.doctor_reads import SqlAlchemyDoctorReadQueries
from hospital.adapters.sqlalchemy.driver_transactions import AsyncpgTransactions, DriverTransaction, DriverTransactions
from hospital.adapters.sqlalchemy.idempotency import SqlAlchemyIdempotencyRecords
from hospital.adapters.sqlalchemy.lost_commits import TRANSACTION_ID_SQL, Phase, XactStatus, conclude, decide, settle
from hospital.adapters.sqlalchemy.prepared import PreparedQuery
from hospital.adapters.sqlalchemy.reviews import SqlAlchemyReviewRepository, SqlAlchemyReviewViews
from hospital.adapters.sqlalchemy.schedules import SqlAlchemyScheduleRepository, SqlAlchemySlotSourceQueries
from hospital.adapters.sqlalchemy.sqlite_writer import LoopSqliteConnection
from hospital.adapters.sqlalchemy.tables import catalogue as catalogue_tables
from hospital.application.errors import (
    CommitOutcomeUnknownError,
    ConcurrentChangeError,
    ConnectionLostError,
    ServiceUnavailableError,
)
from hospital.application.ports.clock import Clock
from hospital.application.ports.idempotency import pending_request
from hospital.application.ports.unit_of_work import SessionUnavailableError
from hospital.domain.taxonomy import Designation, Specialisation


async def _commit_session(session: AsyncSession, durable: asyncio.Future[None] | None) -> None:
    await session.commit()
    if durable is not None:
        await durable


def _closed(driver_connection: object) -> bool:
    """Whether the driver already knows its connection ended (asyncpg read the server's goodbye)."""
    is_closed = getattr(driver_connection, "is_closed", None)
    return bool(is_closed()) if callable(is_closed) else False


class SqlAlchemyUnitOfWork:
    """Nothing is built until a use case touches it: a pure read opens no session at all (its queries
    run on the direct reader), and each repository is made on first use.

    Its transaction is the ORM session's, or a driver transaction (driver_transactions.py) when its
    first write is a prepared statement that can run on the driver (``write``; a booking's insert):
    then the unit's reads run in that transaction too, and the ORM is not available until it ends
    (``SessionUnavailableError``): two transactions could not commit as one.

    On PostgreSQL a dated booking that is the unit's first write is held instead, and sent at commit
    with its audit event as one statement (``write_at_commit``, booking_statement.py). Until then
    the unit's reads do not see it; a write (or an audit event not about it) sends it first, alone,
    in a driver transaction, and the ORM is not available either.
    """

    def __init__(self, session_factory: async_sessionmaker[AsyncSession],
                 direct_reader: DirectReader | None = None,
                 driver_transactions: DriverTransactions | None = None,
                 audit_lanes: AuditLanes | None = None, clock: Clock | None = None) -> None:
        self._session_factory = session_factory
        self._audit_lanes = audit_lanes if audit_lanes is not None else AuditLanes()
        self._clock = clock if clock is not None else SystemClock()
        self._direct_reader = direct_reader
        self._driver_transactions = driver_transactions
        self._session: AsyncSession | None = None
        self._driver: DriverTransaction | None = None
        self._held: DeferredBooking | None = None

    @property
    def current_session(self) -> AsyncSession | None:
        return self._session

    @property
    def current_driver_transaction(self) -> DriverTransaction | None:
        return self._driver

    @property
    def held_booking(self) -> DeferredBooking | None:
        """The booking held to go with its event as one statement at commit (``write_at_commit``)."""
        return self._held

    @property
    def session(self) -> AsyncSession:
        if self._driver is not None or self._held is not None:
            raise SessionUnavailableError(
                "This unit of work's transaction runs on the driver (it began with a driver write); "
                "commit or roll it back before using the ORM."
            )
        if self._session is None:
            self._session = self._session_factory()
        return self._session

    def write_at_commit(self, booking: DeferredBooking) -> bool:
        """Hold ``booking`` to send at commit, with its event, as one statement (booking_statement.py):
        only as the first write of a unit on PostgreSQL's driver with no Idempotency-Key record to
        write at commit (that record is a write of its own, in the same transaction)."""
        if not (isinstance(self._driver_transactions, AsyncpgTransactions) and self._driver is None
                and self._session is None and self._held is None and pending_request.get() is None):
            return False
        self._held = booking
        return True

    async def send_held(self) -> None:
        """The held booking sent now, alone, as the first statement of a driver transaction: the unit
        writes something else before its commit. ``ConcurrentChangeError`` if the store refused it
        (its ``book_slot`` answered True already; the unit runs again)."""
        booking, self._held = self._held, None
        if booking is None:
            return
        if booking.opened is not None:
            raise AssertionError("a booking whose event is sealed around its id goes only with that event")
        rows = await self.write(booking.plain, booking.values)
        if not rows:
            raise ConcurrentChangeError()
        booking.inserted(rows[0][0])

    async def write(self, query: PreparedQuery, parameters: Mapping[str, Any]) -> list[Any]:
        """The rows of a statement run in this unit's transaction: a write, or the read of a row the
        unit is about to change (entity_table.py). The session's transaction if the unit has one,
        else a driver transaction, begun by the first such statement."""
        if self._held is not None:
            await self.send_held()
        driver = await self.driver_transaction()
        if driver is None:
            connection = await self.session.connection()
            sql, values = query.bind(connection.dialect, parameters)
            return list((await connection.exec_driver_sql(sql, tuple(values))).all())
        sql, values = query.bind(driver.dialect, parameters)
        return await driver.rows(sql, values)

    async def driver_transaction(self) -> DriverTransaction | None:
        """The unit's driver transaction, begun now if it has none; None if its writes go through the
        session: no driver transactions here, or a unit that has touched the ORM (a repository made
        before holds the session, and would otherwise open a second transaction beside the driver's)."""
        if self._driver is None:
            if self._driver_transactions is None or self._session is not None or self._held is not None:
                return None
            self._driver = await self._driver_transactions.begin()
        return self._driver

    @cached_property
    def _reads(self) -> Reads:
        return Reads(self, self._direct_reader)

    @cached_property
    def audit(self) -> SqlAlchemyAuditTrail:
        return SqlAlchemyAuditTrail(self, self._audit_lanes, self._clock)

    def _end_audit(self, *, committed: bool | None) -> None:
        trail = self.__dict__.get("audit")
        if trail is not None:
            trail.end(committed=committed)

    @cached_property
    def users(self) -> SqlAlchemyUserRepository:
        return SqlAlchemyUserRepository(self, self._reads)

    @cached_property
    def profiles(self) -> SqlAlchemyProfileRepository:
        return SqlAlchemyProfileRepository(self, self._reads, self.users)

    @cached_property
    def patients(self) -> SqlAlchemyPatientRepository:
        return SqlAlchemyPatientRepository(self, self._reads)

    @cached_property
    def revoked_tokens(self) -> SqlAlchemyRevokedTokenRepository:
        return SqlAlchemyRevokedTokenRepository(self.session)

    @cached_property
    def doctors(self) -> SqlAlchemyDoctorRepository:
        return SqlAlchemyDoctorRepository(self, self._reads)

    @cached_property
    def reviews(self) -> SqlAlchemyReviewRepository:
        return SqlAlchemyReviewRepository(self, self._reads)

    @cached_property
    def review_views(self) -> SqlAlchemyReviewViews:
        return SqlAlchemyReviewViews(self._reads)

    @cached_property
    def appointments(self) -> SqlAlchemyAppointmentRepository:
        return SqlAlchemyAppointmentRepository(self, self._reads)

    @cached_property
    def doctor_reads(self) -> SqlAlchemyDoctorReadQueries:
        return SqlAlchemyDoctorReadQueries(self._reads)

    @cached_property
    def designations(self) -> SqlAlchemyTaxonRepository:
        return SqlAlchemyTaxonRepository(self, self._reads, Designation, catalogue_tables.designations,
                                         "designation")

    @cached_property
    def specialisations(self) -> SqlAlchemyTaxonRepository:
        return SqlAlchemyTaxonRepository(
            self, self._reads, Specialisation, catalogue_tables.specialisations, "specialisation",
        )

    @cached_property
    def available_times(self) -> SqlAlchemyAvailableTimeRepository:
        return SqlAlchemyAvailableTimeRepository(self, self._reads)

    @cached_property
    def medical_services(self) -> SqlAlchemyMedicalServiceRepository:
        return SqlAlchemyMedicalServiceRepository(self, self._reads)

    @cached_property
    def contacts(self) -> SqlAlchemyContactRepository:
        return SqlAlchemyContactRepository(self, self._reads)

    @cached_property
    def schedules(self) -> SqlAlchemyScheduleRepository:
        return SqlAlchemyScheduleRepository(self.session)

    @cached_property
    def slot_sources(self) -> SqlAlchemySlotSourceQueries:
        return SqlAlchemySlotSourceQueries(self._reads, self.dialect_name)

    @cached_property
    def idempotency(self) -> SqlAlchemyIdempotencyRecords:
        return SqlAlchemyIdempotencyRecords(self, self._reads)

    @property
    def dialect(self) -> Dialect:
        """The database's dialect (the engine's): what the statements' values are converted for."""
        dialect: Dialect = self._session_factory.kw["bind"].dialect
        return dialect

    @property
    def dialect_name(self) -> str:
        return self.dialect.name

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        try:
            await self._end_uncommitted()
        except Exception as cleanup_error:
            # A connection the server ended cannot roll back, and need not: the end of its session
            # rolled back what was not committed, and what the unit read stays true.
            if exc is None and is_unavailable(cleanup_error) and not is_connection_fault(cleanup_error):
                raise ServiceUnavailableError() from cleanup_error
        # The one place where what escaped the unit (a flush, the COMMIT, a read) becomes what it
        # means to the caller: database_errors.py.
        if exc is not None:
            raise_as_domain_error(exc)

    async def _end_uncommitted(self) -> None:
        self._held = None
        self._end_audit(committed=False)
        driver, self._driver = self._driver, None
        if driver is not None:
            await driver.rollback()
        session = self._session
        # A session outside a transaction holds no connection: nothing to give back.
        if session is not None and session.in_transaction():
            # close() rolls back what was not committed; rollback() would also expire every
            # loaded entity, and the use case still returns them after the block.
            await session.close()

    async def commit(self) -> None:
        """Once the COMMIT is under way it runs to its end even if the caller is cancelled meanwhile,
        and the caller is told its outcome (commit_outcome.py): returns if the work committed,
        raises if it did not, and ``CommitOutcomeUnknownError`` when PostgreSQL could not say
        (lost_commits.py)."""
        try:
            recorded = await self._record_idempotency_key()
            await self._commit()
        except Exception as error:
            # The audit lane moves on only with a commit known to have happened (audit_lanes.py).
            self._end_audit(committed=None if isinstance(error, CommitOutcomeUnknownError | HashMismatchError)
                            else False)
            raise_as_domain_error(error)
            raise
        except BaseException:
            self._end_audit(committed=None)
            raise
        self._end_audit(committed=True)
        if recorded:
            # Only once its record committed: a unit that failed (and may run again, retry.py)
            # records the key again in its next transaction, and a later unit never does.
            pending_request.set(None)

    async def _record_idempotency_key(self) -> bool:
        """The pending Idempotency-Key's record, in the transaction of the write it answers
        (application/idempotency.py): only a unit that wrote something takes it."""
        request = pending_request.get()
        wrote = self._driver is not None or (self._session is not None and self._session.in_transaction())
        if request is None or not wrote:
            return False
        if self._session is not None and self._driver is None:
            await self._session.flush()  # the ORM's pending changes first, as the COMMIT would
        await self.idempotency.reserve(request)
        return True

    async def _commit(self) -> None:
        booking, self._held = self._held, None
        if booking is not None:
            if booking.opened is None:  # no event came: the booking alone, in a driver transaction
                self._held = booking
                await self.send_held()
            else:
                await self._commit_with_event(booking)
                return
        driver, self._driver = self._driver, None
        if driver is not None:
            await driver.commit()
            return
        session = self._session
        if session is None:
            return
        if not session.in_transaction():
            await session.commit()
            return
        await session.flush()  # a refused statement here: nothing was committed
        connection = await session.connection()
        writer = (await connection.get_raw_connection()).driver_connection
        # Group commit (sqlite_writer.py): the connection goes to the next writer at once; this use
        # case returns only when the COMMIT that includes its work is on disk.
        durable = writer.defer_commit() if isinstance(writer, LoopSqliteConnection) else None
        if connection.dialect.name != "postgresql":
            await outcome_of(_commit_session(session, durable))
            return
        if _closed(writer):
            # The server ended the session before this COMMIT could be sent (commit_outcome.py).
            conclude(decide(Phase.BEFORE_COMMIT, None))
        # One round trip more, on asyncpg itself: the id that settles a COMMIT lost on its way
        # (lost_commits.py). A lost connection here is a loss before the COMMIT, like any statement's.
        # (Another driver's lost COMMIT stays unsettled: 503, outcome unknown.)
        transaction: int | XactStatus = XactStatus.UNAVAILABLE
        if callable(fetchval := getattr(writer, "fetchval", None)):
            transaction_id = await fetchval(TRANSACTION_ID_SQL)
            transaction = XactStatus.NOTHING_WRITTEN if transaction_id is None else transaction_id
        await outcome_of(self._commit_or_settle(session, transaction))

    async def _commit_with_event(self, booking: DeferredBooking) -> None:
        """The held booking and its event, one statement in its own implicit transaction."""
        transactions = self._driver_transactions
        assert isinstance(transactions, AsyncpgTransactions)
        sql, values = booking.together.bind(transactions.dialect, booking.parameters())
        try:
            rows, settled = await outcome_of(transactions.alone(sql, values, STORED_EVENT, booking.event_id))
        except ConnectionLostError:
            self._end_audit(committed=None)  # lost on its way: its lane is retired whatever it did
            raise
        if booking.stored(rows) is None:
            raise ConcurrentChangeError()  # the sources moved: nothing stored (book_slot's False)
        if settled:
            self._end_audit(committed=None)

    async def _commit_or_settle(self, session: AsyncSession, transaction: int | XactStatus) -> None:
        try:
            await session.commit()
        except Exception as error:
            if rolled_back_for_sure(error):
                raise
            reader = self._direct_reader
            conclude(await settle(transaction, reader.new_connection if isinstance(reader, AsyncpgDirectReader)
                                  else None), error)

    async def rollback(self) -> None:
        self._held = None
        self._end_audit(committed=False)
        driver, self._driver = self._driver, None
        if driver is not None:
            await driver.rollback()
        if self._session is not None:
            await self._session.rollback()
