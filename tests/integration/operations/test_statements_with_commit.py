"""On PostgreSQL a driver transaction's audit events run in its COMMIT's round trip
(adapters/sqlalchemy/driver_transactions.py): ``EXECUTE <prepared>(<dollar-quoted JSON>); COMMIT``.
A booking is then three round trips (BEGIN, its INSERT, the events with the COMMIT), as many as the
booking without its event; each way that can fail is here:

- a statement before the COMMIT fails: nothing is stored, the caller gets the error, and the
  connection serves the next unit (the PREPARE of the failed string cannot clash with the next one);
- any text a caller sends (quotes, dollar signs, a tag of its own) is stored as sent;
- units that fail or are not committed leave every chain without a gap, several processes at once;
- a booking the store refuses (a time not offered) writes no event and breaks no chain.

(A connection lost while the COMMIT's string is on its way: test_lost_commits.py, whose bookings now
carry their events in it; the COMMIT cancelled or refused: test_commit_outcomes.py.)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from asyncpg.exceptions import InvalidTextRepresentationError
from sqlalchemy import text

from hospital.adapters.sqlalchemy import driver_transactions
from hospital.adapters.sqlalchemy.direct_reads import direct_reader_for
from hospital.adapters.sqlalchemy.driver_transactions import AsyncpgTransactions
from hospital.application.appointments import Booking
from hospital.application.errors import CommitOutcomeUnknownError
from hospital.application.pagination import PageRequest
from hospital.application.ports.appointments import BookingOutcome
from hospital.bootstrap import Container, shutdown
from hospital.domain.audit import ActorRole, AuditAction, AuditEntry, AuditOutcome, RequestContext, ResourceType
from hospital.domain.errors import ValidationError
from tests.support.backends import production_container
from tests.support.clinic import Cast, booking, cast
from tests.support.sql_statements import round_trips


@pytest.fixture
def postgres(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's COMMIT round trip (HOSPITAL_TEST_DATABASE_URL)")
    return database_url


@pytest.fixture
async def people(postgres, sql_container: Container) -> Cast:
    return await cast(sql_container)


async def test_a_booking_is_three_round_trips_its_event_with_the_commit(sql_container, people, monkeypatch):
    book = sql_container.book_appointment()
    request = Booking(doctor=people.doctor.doctor_id, time=people.doctor_times[0], appointment_type="Online")
    await book(people.owner, request)  # the connection's first: it prepares the events' statement
    await sql_container.audit_log().flush()  # the set-up's read events: not written while counted
    sent = round_trips(monkeypatch)
    booked = await book(people.owner, request)
    monkeypatch.undo()
    assert len(sent) == 3, sent
    begin, insert, commit = sent
    assert begin == "BEGIN" and insert.startswith("INSERT INTO appointments")
    assert commit.startswith("EXECUTE hospital_before_commit_") and commit.endswith("; COMMIT")
    events = [e for e in await sql_container.audit_events().all_events()
              if (e.entry.resource_type, e.entry.resource_id) == (ResourceType.APPOINTMENT, booked.id)]
    assert [(e.entry.action, e.entry.patient_ids) for e in events] == [(AuditAction.CREATE, (people.owner.patient_id,))]
    assert (await sql_container.audit_events().verify()).valid


@pytest.fixture
async def scratch(postgres, sql_container: Container) -> AsyncIterator[AsyncpgTransactions]:
    """Driver transactions on a pool of one connection (so each unit gets the same one), and a table
    for them to write to."""
    async with sql_container.engine().begin() as connection:
        await connection.execute(text("CREATE TABLE ride_along (v text NOT NULL)"))
    reader = direct_reader_for(postgres, pool_size=1)
    try:
        yield AsyncpgTransactions(reader)  # type: ignore[arg-type]
    finally:
        await reader.close()  # type: ignore[union-attr]
        async with sql_container.engine().begin() as connection:
            await connection.execute(text("DROP TABLE ride_along"))


_WRITE = "INSERT INTO ride_along VALUES ($1) RETURNING pg_current_xact_id_if_assigned()::text::bigint AS transaction_id"
_AS_NUMBER = "INSERT INTO ride_along SELECT CAST($1 AS integer)::text"
_AS_TEXT = "INSERT INTO ride_along VALUES ($1)"


async def unit(transactions: AsyncpgTransactions, change: str, *ride_along: tuple[str, str]) -> int:
    """A change, the statements riding with its COMMIT, committed; returns its connection's backend."""
    transaction = await transactions.begin()
    try:
        await transaction.rows(_WRITE, (change,))
        for statement, argument in ride_along:
            await transaction.before_commit(statement, argument)
        backend = transaction._connection.get_server_pid()  # type: ignore[attr-defined]
    except BaseException:
        await transaction.rollback()
        raise
    await transaction.commit()
    return backend


async def stored(sql_container: Container) -> list[str]:
    async with sql_container.engine().connect() as connection:
        return sorted((await connection.execute(text("SELECT v FROM ride_along"))).scalars())


async def test_a_statement_failing_before_the_commit_stores_nothing_and_the_connection_serves_on(
        sql_container, scratch):
    backend = await unit(scratch, "first", (_AS_TEXT, "riding"))
    with pytest.raises(InvalidTextRepresentationError) as refused:
        # Its first run on this connection prepares the statement, in the same string as the
        # EXECUTE that fails: a prepared statement outlives its transaction.
        await unit(scratch, "refused", (_AS_NUMBER, "not a number"))
    assert not isinstance(refused.value, CommitOutcomeUnknownError)
    assert await stored(sql_container) == ["first", "riding"]
    # The same connection, the same statement: prepared again under a new name, no clash.
    assert await unit(scratch, "second", (_AS_NUMBER, "42"), (_AS_NUMBER, "43")) == backend
    assert await unit(scratch, "third", (_AS_NUMBER, "44")) == backend
    assert await stored(sql_container) == ["42", "43", "44", "first", "riding", "second", "third"]


async def test_any_argument_is_stored_as_sent(sql_container, scratch, monkeypatch):
    tags = iter(["0badc0de", "00c0ffee", "0badf00d"])
    monkeypatch.setattr(driver_transactions.secrets, "token_hex", lambda _n: next(tags))
    # The first tag is in the argument, and the argument ends with the second less its closing $
    # (which the closing tag would complete): the quoting takes the third.
    argument = "it's $q0badc0de$ $$ $1 \\' \"; COMMIT; DROP TABLE ride_along; -- é 日本 \U0001f600 $q00c0ffee"
    await unit(scratch, "change", (_AS_TEXT, argument))
    assert await stored(sql_container) == ["change", argument]
    assert next(tags, None) is None  # all three were drawn


async def test_a_connection_not_known_by_its_own_object_gets_the_statement_unprepared(
        sql_container, scratch, monkeypatch):
    monkeypatch.setattr(driver_transactions, "_raw", lambda _connection: None)
    sent = round_trips(monkeypatch)
    await unit(scratch, "change", (_AS_NUMBER, "7"), (_AS_TEXT, "it's $1"))
    monkeypatch.undo()
    commit = sent[-1]
    assert "PREPARE" not in commit and "EXECUTE" not in commit and commit.endswith("; COMMIT")
    assert await stored(sql_container) == ["7", "change", "it's $1"]


_ODD = AuditEntry(AuditAction.UPDATE, ResourceType.APPOINTMENT, AuditOutcome.SUCCESS, resource_id=2**63 - 1,
                  patient_ids=(-(2**63), 5, 2**63 - 1), actor_user_id=-(2**63), actor_role=ActorRole.ADMIN,
                  username='a"b\\c\n\t{"x": [1]} $$ $q1$', filters=(("search", '"]},\\'),),
                  context=RequestContext("2001:db8::1", "$e$ ' ;COMMIT", "\x7f\u00e9\U0001f600 Mozilla/5.0"))


async def test_a_driver_units_events_are_stored_exactly_as_sealed(sql_container, people):
    async with sql_container.unit_of_work() as uow:
        assert await uow.appointments.book(booking(people)) is BookingOutcome.BOOKED
        sealed = [*await uow.audit.append_many([_ODD, _ODD]), await uow.audit.append(_ODD)]
        await uow.commit()
    events = [e for e in await sql_container.audit_events().all_events() if e.entry.resource_id == 2**63 - 1]
    assert [(e.id, e.recorded_at, e.chain, e.seq, e.prev_hash, e.hash, e.entry) for e in events] == [
        (e.id, e.recorded_at, e.chain, e.seq, e.prev_hash, e.hash, e.entry) for e in sealed]
    assert (await sql_container.audit_events().verify()).valid


async def test_driver_units_of_two_processes_some_failing_leave_every_chain_valid(sql_container, people):
    other = production_container(sql_container.settings())

    async def booked(container: Container, number: int) -> None:
        async with container.unit_of_work() as uow:
            assert await uow.appointments.book(booking(people, number)) is BookingOutcome.BOOKED
            await uow.audit.append(_ODD)
            await asyncio.sleep(0.001 * (number % 3))
            await uow.audit.append(_ODD)
            if number % 4 == 0:
                return  # not committed
            await uow.commit()

    try:
        await asyncio.gather(*(booked(container, n) for n in range(1, 25) for container in (sql_container, other)))
    finally:
        await shutdown(other)
    committed = 2 * len([n for n in range(1, 25) if n % 4])
    events = [e for e in await sql_container.audit_events().all_events() if e.entry.resource_id == 2**63 - 1]
    assert len(events) == 2 * committed
    assert len({e.chain.rsplit(".", 1)[0] for e in events}) == 2
    report = await sql_container.audit_events().verify()
    assert report.valid
    page = await sql_container.read_side().appointments.list(page=PageRequest(limit=100), scope=None)
    assert page.total == committed


async def test_a_booking_the_store_refuses_writes_no_event_and_breaks_no_chain(sql_container, people):
    book = sql_container.book_appointment()
    with pytest.raises(ValidationError):
        await book(people.owner, Booking(doctor=people.doctor.doctor_id, time=people.other_doctor_times[0],
                                         appointment_type="Online"))
    booked = await book(people.owner, Booking(doctor=people.doctor.doctor_id, time=people.doctor_times[0],
                                              appointment_type="Online"))
    await sql_container.audit_log().flush()
    events = await sql_container.audit_events().all_events()
    creates = [e for e in events if (e.entry.action, e.entry.resource_type) == (AuditAction.CREATE,
                                                                               ResourceType.APPOINTMENT)]
    assert [(e.entry.outcome, e.entry.resource_id) for e in creates if e.entry.outcome is AuditOutcome.SUCCESS] == [
        (AuditOutcome.SUCCESS, booked.id)]
    assert (await sql_container.audit_events().verify()).valid
