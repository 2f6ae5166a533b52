"""A unit of work whose PostgreSQL session ends before its COMMIT runs again on a new connection
(application/retry.py, adapters/sqlalchemy/database_errors.py): the end of the session rolled its work
back, so the caller is answered as if nothing had happened, and the work is stored once. One whose
session ends during its COMMIT is not run again when PostgreSQL cannot say what became of it: it may
have committed (503, outcome unknown; settled when it can say: test_lost_commits.py).

The sessions are ended as a failover or ``pg_terminate_backend`` ends them, on both transaction
paths: the ORM session (a patient's change) and the driver transaction (a contact, a booking).
"""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from asyncpg.exceptions import ConnectionDoesNotExistError
from sqlalchemy import literal, select
from sqlalchemy.engine import make_url

from hospital.adapters.sqlalchemy.accounts import SqlAlchemyPatientRepository
from hospital.adapters.sqlalchemy.appointments import SqlAlchemyAppointmentRepository
from hospital.adapters.sqlalchemy.contacts import SqlAlchemyContactRepository
from hospital.adapters.sqlalchemy.direct_reads import AsyncpgDirectReader
from hospital.adapters.sqlalchemy.prepared import PreparedQuery
from hospital.application.appointments import Booking
from hospital.application.contacts import ContactChanges
from hospital.application.errors import CommitOutcomeUnknownError
from hospital.application.pagination import PageRequest
from hospital.application.patients import PatientChanges
from hospital.bootstrap import Container
from hospital.domain.actors import Actor
from tests.support.clinic import Cast, cast
from tests.support.commits import replace_commits

_ONE = PreparedQuery(select(literal(1)))


@pytest.fixture
def postgres(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's sessions (HOSPITAL_TEST_DATABASE_URL)")
    return database_url


@pytest.fixture
async def people(postgres, sql_container: Container) -> Cast:
    return await cast(sql_container)


async def end_every_session(url: str) -> int:
    """pg_terminate_backend on every other session of the database, then time for the clients to hear it."""
    connection = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(False))
    try:
        ended = await connection.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    finally:
        await connection.close()
    await asyncio.sleep(0.3)
    return len(ended)


def end_sessions_after_first(monkeypatch: pytest.MonkeyPatch, repository: type, method: str, url: str,
                             then_read: bool) -> list[int]:
    """Each call of ``repository.method`` counted; after the first one's write, every session ends (and,
    with ``then_read``, the unit runs one more statement, which fails, before its COMMIT)."""
    real = getattr(repository, method)
    calls: list[int] = []

    async def write_then_end(self, *args, **kwargs):
        result = await real(self, *args, **kwargs)
        calls.append(1)
        if len(calls) == 1:
            assert await end_every_session(url) > 0
            if then_read:
                owner = getattr(self, "_uow", None)  # a repository on the driver (entity_table.py)
                if owner is not None:
                    await owner.write(_ONE, {})
                else:
                    await (await self._session.connection()).exec_driver_sql("SELECT 1")
        return result

    monkeypatch.setattr(repository, method, write_then_end)
    return calls


async def contacts_stored(container: Container, admin: Actor) -> int:
    return len(await container.list_contacts()(admin))


async def bookings_stored(container: Container) -> int:
    return (await container.read_side().appointments.list(page=PageRequest(), scope=None)).total


@pytest.mark.parametrize("then_read", [False, True], ids=["closed-at-commit", "fault-at-a-statement"])
async def test_a_session_write_whose_connection_ended_before_commit_runs_again_once(
        postgres, sql_container, people, monkeypatch, then_read) -> None:
    calls = end_sessions_after_first(monkeypatch, SqlAlchemyPatientRepository, "save", postgres, then_read)
    changed = await sql_container.update_patient()(people.owner, people.owner.patient_id,
                                                   PatientChanges(phone="01712345670"))
    assert len(calls) == 2  # the first run lost its connection; the second stored it
    monkeypatch.undo()
    assert changed.phone == "01712345670"
    stored = await sql_container.get_patient()(people.admin, people.owner.patient_id)
    assert stored.phone == "01712345670"


@pytest.mark.parametrize("then_read", [False, True], ids=["closed-at-commit", "fault-at-a-statement"])
async def test_a_driver_write_whose_connection_ended_before_commit_runs_again_once(
        postgres, sql_container, people, monkeypatch, then_read) -> None:
    calls = end_sessions_after_first(monkeypatch, SqlAlchemyContactRepository, "add", postgres, then_read)
    contact = await sql_container.submit_contact()(people.owner, ContactChanges(
        name="Ann", phone="01700000000", massage="hello"))
    assert contact.id is not None
    assert len(calls) == 2  # the first run lost its connection; the second stored it
    monkeypatch.undo()
    assert await contacts_stored(sql_container, people.admin) == 1


async def test_a_booking_whose_driver_connection_ended_before_commit_runs_again_once(
        postgres, sql_container, people, monkeypatch) -> None:
    calls = end_sessions_after_first(monkeypatch, SqlAlchemyAppointmentRepository, "book", postgres, then_read=False)
    booked = await sql_container.book_appointment()(people.owner, Booking(
        doctor=people.doctor.doctor_id, time=people.doctor_times[0], appointment_type="Online"))
    assert booked.id is not None
    assert len(calls) == 2
    monkeypatch.undo()
    assert await bookings_stored(sql_container) == 1


async def test_a_booking_whose_connection_was_lost_during_commit_is_not_run_again_if_no_one_can_ask(
        postgres, sql_container, people, monkeypatch) -> None:
    commits: list[int] = []

    async def committed_then_lost(_connection, send) -> None:
        await send()
        commits.append(1)
        raise ConnectionDoesNotExistError("connection was closed in the middle of operation")

    async def refused(self: AsyncpgDirectReader) -> None:
        raise ConnectionRefusedError("the database is gone")

    replace_commits(monkeypatch, committed_then_lost)
    monkeypatch.setattr(AsyncpgDirectReader, "new_connection", refused)  # what became of it cannot be asked
    with pytest.raises(CommitOutcomeUnknownError):
        await sql_container.book_appointment()(people.owner, Booking(
            doctor=people.doctor.doctor_id, time=people.doctor_times[0], appointment_type="Online"))
    assert commits == [1]  # once: a second run would have booked twice
    monkeypatch.undo()
    assert await bookings_stored(sql_container) == 1


async def test_the_pools_serve_at_once_after_every_session_ended(postgres, sql_container, people) -> None:
    assert await end_every_session(postgres) > 0
    assert await bookings_stored(sql_container) == 0
    assert await contacts_stored(sql_container, people.admin) == 0



async def test_a_booking_whose_connection_fails_as_it_is_given_back_after_its_commit_is_not_run_again(
        postgres, sql_container, people, monkeypatch) -> None:
    """The server ended the session just after the COMMIT, and the pool's release of the connection
    (closing it, as an expired one is closed) fails: the booking committed, and running it again
    would book twice."""
    real_release, real_book = asyncpg.pool.Pool.release, SqlAlchemyAppointmentRepository.book
    runs: list[int] = []

    async def release_then_fail(self, connection, **options) -> None:
        await real_release(self, connection, **options)
        raise ConnectionDoesNotExistError("connection was closed in the middle of operation")

    async def counted_book(self, appointment):
        runs.append(1)
        return await real_book(self, appointment)

    monkeypatch.setattr(asyncpg.pool.Pool, "release", release_then_fail)
    monkeypatch.setattr(SqlAlchemyAppointmentRepository, "book", counted_book)
    booked = await sql_container.book_appointment()(people.owner, Booking(
        doctor=people.doctor.doctor_id, time=people.doctor_times[0], appointment_type="Online"))
    assert booked.id is not None
    assert len(runs) == 1
    monkeypatch.undo()
    assert await bookings_stored(sql_container) == 1
