"""Units of work whose first write is a prepared statement run it in a driver transaction
(adapters/sqlalchemy/driver_transactions.py), on SQLite and on PostgreSQL: all or nothing, read
their own writes, invisible to others until committed, and never mixed with the ORM session."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from hospital.adapters.sqlalchemy import audit
from hospital.application.errors import ServiceUnavailableError
from hospital.application.pagination import PageRequest
from hospital.application.ports.appointments import BookingOutcome
from hospital.application.ports.unit_of_work import SessionUnavailableError
from hospital.domain.audit import ActorRole, AuditAction, AuditEntry, ResourceType
from tests.support.clinic import booking, cast
from tests.support.sql_statements import counted_statements

# A refresh token's id: revoked tokens are the repository the SQL store still serves through its ORM session.
JTI = "0" * 32
SOON = datetime(2030, 1, 1, tzinfo=UTC)



async def total(container) -> int:
    return (await container.read_side().appointments.list(page=PageRequest(), scope=None)).total


async def test_a_booking_unit_runs_on_the_driver_and_commits(sql_container):
    people = await cast(sql_container)
    appointment = booking(people)
    async with sql_container.unit_of_work() as uow:
        assert await uow.appointments.book(appointment) is BookingOutcome.BOOKED
        assert uow.current_driver_transaction is not None and uow.current_session is None
        # Its write is not committed yet: the read side does not see it.
        assert await total(sql_container) == 0
        await uow.commit()
    assert await total(sql_container) == 1


async def test_a_booking_units_audit_events_on_sqlite_are_the_batch_statement_on_plain_values(sql_container):
    if sql_container.engine().dialect.name != "sqlite":
        pytest.skip("PostgreSQL's run in the COMMIT's round trip (test_pg_batch_on_the_driver.py)")
    people = await cast(sql_container)
    entries = [AuditEntry(AuditAction.CREATE, ResourceType.APPOINTMENT, resource_id=7, patient_ids=(3, 5),
                          actor_user_id=1, actor_role=ActorRole.PATIENT),
               AuditEntry(AuditAction.CREATE, ResourceType.APPOINTMENT, resource_id=8, actor_user_id=1,
                          actor_role=ActorRole.PATIENT)]
    transactions = sql_container.driver_transactions()
    with counted_statements(transactions) as statements:
        async with sql_container.unit_of_work() as uow:
            assert await uow.appointments.book(booking(people)) is BookingOutcome.BOOKED
            appended = [*await uow.audit.append_many(entries[:1]), await uow.audit.append(entries[1])]
            await uow.commit()
    # One INSERT per event and per patient of it, as the driver's own SQL (no SQLAlchemy statement
    # and its per-row parameter conversion), read back as appended, the chain intact.
    assert [s for s in statements if "audit_events" in s] == [audit._SQLITE_BATCH_EVENTS] * 2
    assert [s for s in statements if "audit_event_patients" in s] == [audit._SQLITE_BATCH_LINKS] * 2
    stored = [event for event in await sql_container.audit_events().all_events() if event.id in
              {event.id for event in appended}]
    assert stored == sorted(appended, key=lambda event: event.seq)
    assert (await sql_container.audit_events().verify()).valid


async def test_a_driver_transaction_not_committed_leaves_nothing(sql_container):
    people = await cast(sql_container)
    with pytest.raises(RuntimeError, match="refuses"):
        async with sql_container.unit_of_work() as uow:
            assert await uow.appointments.book(booking(people)) is BookingOutcome.BOOKED
            raise RuntimeError("the use case refuses after writing")
    async with sql_container.unit_of_work() as uow:
        assert await uow.appointments.book(booking(people, 1)) is BookingOutcome.BOOKED
        await uow.rollback()
        await uow.commit()  # nothing left to commit
    assert await total(sql_container) == 0


async def test_the_orm_is_refused_during_a_driver_transaction_and_available_after_it(sql_container):
    people = await cast(sql_container)
    async with sql_container.unit_of_work() as uow:
        assert await uow.appointments.book(booking(people)) is BookingOutcome.BOOKED
        with pytest.raises(SessionUnavailableError):
            await uow.revoked_tokens.is_revoked(JTI)
        await uow.commit()
        assert not await uow.revoked_tokens.is_revoked(JTI)
    assert await total(sql_container) == 1


async def test_after_an_orm_write_the_booking_joins_the_sessions_transaction(sql_container):
    people = await cast(sql_container)
    async with sql_container.unit_of_work() as uow:
        assert await uow.revoked_tokens.revoke(jti=JTI, user_id=people.owner.user_id, expires_at=SOON,
                                               revoked_at=SOON)
        appointment = booking(people)
        assert await uow.appointments.book(appointment) is BookingOutcome.BOOKED
        assert uow.current_driver_transaction is None
        # read in the session's transaction, which holds the booking
        assert (await uow.appointments.get(appointment.id)).symptoms == appointment.symptoms
        # no commit: the revocation and the booking go back together
    assert await total(sql_container) == 0
    async with sql_container.unit_of_work() as uow:
        assert not await uow.revoked_tokens.is_revoked(JTI)


async def test_a_repository_made_before_the_booking_makes_it_join_the_sessions_transaction(sql_container):
    """Made (it holds the session) but not used yet: a driver transaction beside it would be a second
    transaction, which on SQLite waits for the first's turn until the busy timeout."""
    people = await cast(sql_container)
    async with sql_container.unit_of_work() as uow:
        revoked_tokens = uow.revoked_tokens
        assert await uow.appointments.book(booking(people)) is BookingOutcome.BOOKED
        assert uow.current_driver_transaction is None
        assert not await revoked_tokens.is_revoked(JTI)
        await uow.commit()
    assert await total(sql_container) == 1


async def test_concurrent_driver_and_session_units_all_commit(sql_container):
    people = await cast(sql_container)

    async def on_the_driver(index: int) -> None:
        async with sql_container.unit_of_work() as uow:
            assert await uow.appointments.book(booking(people, index)) is BookingOutcome.BOOKED
            await uow.commit()

    async def through_the_session(index: int) -> None:
        async with sql_container.unit_of_work() as uow:
            await uow.appointments.add(booking(people, index))
            await uow.commit()

    await asyncio.gather(*(unit(index) for index in range(12) for unit in (on_the_driver, through_the_session)))
    assert await total(sql_container) == 24


class _Unreachable:
    listeners: list = []

    async def begin(self):
        raise ConnectionRefusedError("connection refused")

    async def close(self) -> None:
        pass


async def test_a_database_that_cannot_be_reached_is_service_unavailable(sql_container):
    people = await cast(sql_container)
    sql_container.driver_transactions.override(_Unreachable())
    try:
        with pytest.raises(ServiceUnavailableError):
            async with sql_container.unit_of_work() as uow:
                await uow.appointments.book(booking(people))
    finally:
        sql_container.driver_transactions.reset_override()
