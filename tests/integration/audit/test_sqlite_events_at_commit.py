"""On a SQLite file a unit's audit events are inserted with the rest of its group's just before the
COMMIT that holds the unit, on the writer's thread (sqlite_writer.py's ``insert_at_commit``), for
units on a driver transaction (a booking) and on the session alike: a unit rolled back leaves no
event, a committed one never lacks its event, and an event refused at the COMMIT takes its whole
group back."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from contextlib import closing

import pytest
from sqlalchemy import text

from hospital.adapters.sqlalchemy import audit
from hospital.adapters.sqlalchemy.sqlite_writer import SqliteWriter
from hospital.application.errors import ServiceUnavailableError
from hospital.application.ports.appointments import BookingOutcome
from hospital.bootstrap import Container
from hospital.domain.appointments import Appointment
from hospital.domain.audit import ActorRole, AuditAction, AuditEntry, ResourceType
from tests.support.clinic import Cast, booking, cast
from tests.support.sqlite_faults import Faults, faulty_writer

REFUSED_ID = 424242
APPOINTMENT_EVENTS = "SELECT {} FROM audit_events WHERE resource_type = 'appointment'"


@pytest.fixture
def database_file(database_url: str) -> str:
    if not database_url.startswith("sqlite"):
        pytest.skip("the SQLite writer's")
    return database_url.removeprefix("sqlite+aiosqlite:///")


def entry(resource_id: int, patient_id: int) -> AuditEntry:
    return AuditEntry(AuditAction.CREATE, ResourceType.APPOINTMENT, resource_id=resource_id,
                      patient_ids=(patient_id,), actor_user_id=1, actor_role=ActorRole.PATIENT)


def stored(database_file: str) -> tuple[dict[int, int], set[str], set[tuple[int, str]]]:
    """As another process reads the file (only what is committed): the appointments' events by
    resource id (with how many events each), the appointments' symptoms, and those events' patient
    links (the cast's set-up writes events of its own)."""
    with closing(sqlite3.connect(database_file)) as other:
        events: dict[int, int] = {}
        for (resource_id,) in other.execute(APPOINTMENT_EVENTS.format("resource_id")):
            events[resource_id] = events.get(resource_id, 0) + 1
        symptoms = {row[0] for row in other.execute("SELECT symptoms FROM appointments")}
        links = set(other.execute("SELECT patient_id, event_id FROM audit_event_patients WHERE event_id IN "
                                  f"({APPOINTMENT_EVENTS.format('id')})"))
    return events, symptoms, links


async def unit(container: Container, appointment: Appointment, resource_id: int, *, session: bool = False,
               fail: bool = False) -> None:
    """A booking and its event, on the driver transaction or (``session``) the ORM session's."""
    async with container.unit_of_work() as uow:
        if session:
            await uow.session.connection()  # the session's transaction, not a driver one
            await uow.appointments.add(appointment)
        else:
            assert await uow.appointments.book(appointment) is BookingOutcome.BOOKED
        await uow.audit.append(entry(resource_id, appointment.patient_id))
        if fail:
            raise RuntimeError("the use case refuses after writing")
        await uow.commit()


@pytest.mark.parametrize("session", [False, True], ids=["driver", "session"])
async def test_a_units_event_is_inserted_at_its_commit_on_the_writers_thread(
        sql_container, database_file, monkeypatch, session):
    people = await cast(sql_container)
    inserted: list[tuple[str, list[str]]] = []
    original = SqliteWriter._insert_and_commit

    def recording(self, rows) -> None:
        inserted.append((threading.current_thread().name, list(rows)))
        original(self, rows)

    monkeypatch.setattr(SqliteWriter, "_insert_and_commit", recording)
    async with sql_container.unit_of_work() as uow:
        appointment = booking(people)
        if session:
            await uow.session.connection()  # the session's transaction, not a driver one
            await uow.appointments.add(appointment)
        else:
            assert await uow.appointments.book(appointment) is BookingOutcome.BOOKED
        event = await uow.audit.append(entry(7, people.owner.patient_id))
        count = "SELECT count(*) FROM audit_events WHERE id = ?"
        if session:
            seen = (await uow.session.execute(text(count.replace("?", ":id")), {"id": event.id})).scalar_one()
        else:
            seen = (await uow.current_driver_transaction.rows(count, [event.id]))[0][0]
        assert seen == 0  # not in the unit's savepoint: handed over for the COMMIT
        await uow.commit()
    assert len(inserted) == 1 and inserted[0][0].startswith("sqlite-writer")
    assert inserted[0][1] == [audit._SQLITE_BATCH_EVENTS, audit._SQLITE_BATCH_LINKS]
    events, _, links = stored(database_file)
    assert events == {7: 1} and links == {(people.owner.patient_id, event.id)}
    assert (await sql_container.audit_events().verify()).valid


async def test_units_rolled_back_leave_no_event_and_the_others_of_their_group_keep_theirs(
        sql_container, database_file):
    people = await cast(sql_container)
    outcomes = await asyncio.gather(*(
        unit(sql_container, booking(people, n), 100 + n, session=n % 2 == 1, fail=n % 3 == 0) for n in range(12)
    ), return_exceptions=True)
    committed = {n for n, outcome in enumerate(outcomes) if outcome is None}
    assert committed == {n for n in range(12) if n % 3 != 0}, outcomes
    events, symptoms, links = stored(database_file)
    assert events == {100 + n: 1 for n in committed}
    assert symptoms == {f"unit {n}" for n in committed}
    assert len(links) == len(committed)
    assert (await sql_container.audit_events().verify()).valid


async def test_an_event_refused_at_the_commit_takes_its_whole_group_back(sql_container, database_file):
    """The store refuses one unit's event at the group's COMMIT: no unit of that group is stored,
    each is told, and the lanes go on from their committed events."""
    people = await cast(sql_container)
    async with sql_container.engine().begin() as connection:
        await connection.execute(text(
            f"CREATE TRIGGER audit_refused BEFORE INSERT ON audit_events WHEN NEW.resource_id = {REFUSED_ID} "
            "BEGIN SELECT RAISE(ABORT, 'audit store refused'); END"))
    outcomes = await asyncio.gather(*(
        unit(sql_container, booking(people, n), REFUSED_ID if n == 3 else 100 + n, session=n % 2 == 1)
        for n in range(8)
    ), return_exceptions=True)
    assert isinstance(outcomes[3], Exception) and "audit store refused" in str(outcomes[3])
    failed = {n for n, outcome in enumerate(outcomes) if outcome is not None}
    events, symptoms, links = stored(database_file)
    # Whoever was told "failed" left nothing; whoever was told "done" is stored with its event.
    assert events == {100 + n: 1 for n in range(8) if n not in failed}
    assert symptoms == {f"unit {n}" for n in range(8) if n not in failed}
    assert len(links) == 8 - len(failed)
    await unit(sql_container, booking(people, 9), 109)
    assert (await sql_container.audit_events().verify()).valid


@pytest.fixture
def faults(sql_container: Container, database_file: str) -> Faults:
    return faulty_writer(sql_container)


async def test_events_of_a_transaction_an_error_ended_are_not_inserted_by_the_next(
        sql_container, database_file, faults):
    """The second unit's INSERT fails with an error that rolls back SQLite's whole transaction,
    the first unit's released work with it: its event, handed over for the COMMIT, is dropped too,
    not inserted by the next transaction's."""
    people: Cast = await cast(sql_container)
    faults.fail("INSERT", sqlite3.OperationalError("disk I/O error"), ends_transaction=True, skip=1)
    gate = faults.gate("BEGIN")
    first = asyncio.create_task(unit(sql_container, booking(people, 0), 100))
    for _ in range(1000):
        if faults.running["BEGIN"].is_set():
            break
        await asyncio.sleep(0.005)
    second = asyncio.create_task(unit(sql_container, booking(people, 1), 101))
    await asyncio.sleep(0.02)
    gate.set()
    outcomes = await asyncio.gather(first, second, return_exceptions=True)
    assert all(isinstance(outcome, ServiceUnavailableError) for outcome in outcomes), outcomes
    await unit(sql_container, booking(people, 2), 102)
    events, symptoms, _ = stored(database_file)
    assert events == {102: 1} and symptoms == {"unit 2"}
    assert faults.overlaps == []
    assert (await sql_container.audit_events().verify()).valid


async def test_a_large_group_stores_every_units_event(sql_container, database_file):
    """Forty units queued together: their events go as multi-row INSERTs of at most 32 rows."""
    people = await cast(sql_container)
    await asyncio.gather(*(unit(sql_container, booking(people, n), 100 + n) for n in range(40)))
    events, symptoms, links = stored(database_file)
    assert events == {100 + n: 1 for n in range(40)} and len(links) == 40
    assert symptoms == {f"unit {n}" for n in range(40)}
    assert (await sql_container.audit_events().verify()).valid
