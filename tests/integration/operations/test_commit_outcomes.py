"""What a unit of work tells its caller when the COMMIT is interrupted (adapters/sqlalchemy/commit_outcome.py),
on PostgreSQL, on both of its transaction paths (the ORM session, the driver transaction of a booking):

- cancelled after the COMMIT was sent: the COMMIT runs to its end and the caller is told it committed;
- the connection lost after the server committed, and PostgreSQL cannot be asked what became of the
  transaction: ``CommitOutcomeUnknownError`` (503), never a plain "failed", so no compensation
  deletes what the committed row points to (when it can be asked: test_lost_commits.py);
- the server refused the COMMIT (a serialization failure): a plain failure, and nothing is stored.

(SQLite's side, with the writer's group commit, is test_sqlite_writer_failures.py.)
"""

from __future__ import annotations

import asyncio

import pytest
from asyncpg.exceptions import ConnectionDoesNotExistError, SerializationError

from hospital.adapters.sqlalchemy.direct_reads import AsyncpgDirectReader
from hospital.application.errors import CommitOutcomeUnknownError
from hospital.application.pagination import PageRequest
from hospital.application.ports.appointments import BookingOutcome
from hospital.bootstrap import Container
from hospital.domain.appointments import Appointment
from tests.support.clinic import Cast, booking, cast
from tests.support.commits import replace_commits


@pytest.fixture
def postgres(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's COMMIT (HOSPITAL_TEST_DATABASE_URL)")


@pytest.fixture
async def people(postgres, sql_container: Container) -> Cast:
    return await cast(sql_container)



async def on_the_driver(container: Container, appointment: Appointment) -> int:
    async with container.unit_of_work() as uow:
        assert await uow.appointments.book(appointment) is BookingOutcome.BOOKED
        await uow.commit()
    return appointment.id  # type: ignore[return-value]


async def through_the_session(container: Container, appointment: Appointment) -> int:
    async with container.unit_of_work() as uow:
        await uow.appointments.add(appointment)
        await uow.commit()
    return appointment.id  # type: ignore[return-value]


@pytest.fixture(params=["driver", "session"])
def unit(request: pytest.FixtureRequest):
    return {"driver": on_the_driver, "session": through_the_session}[request.param]


async def stored(container: Container) -> int:
    return (await container.read_side().appointments.list(page=PageRequest(), scope=None)).total


def commit_then(monkeypatch: pytest.MonkeyPatch, after) -> asyncio.Event:
    """asyncpg's COMMIT, then ``after``: the server has committed and the client has not heard yet."""
    committed = asyncio.Event()

    async def commit(_connection, send) -> None:
        await send()
        committed.set()
        await after()

    replace_commits(monkeypatch, commit)
    return committed


async def test_a_caller_cancelled_after_its_commit_was_sent_is_told_it_committed(
        sql_container, people, monkeypatch, unit):
    committed = commit_then(monkeypatch, lambda: asyncio.sleep(0.1))
    task = asyncio.create_task(unit(sql_container, booking(people)))
    await committed.wait()
    task.cancel()
    assert isinstance(await task, int)  # no CancelledError: it committed
    assert await stored(sql_container) == 1


def no_new_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server cannot be reached to ask what became of a transaction (lost_commits.py)."""
    async def refused(self: AsyncpgDirectReader) -> None:
        raise ConnectionRefusedError("the database is gone")

    monkeypatch.setattr(AsyncpgDirectReader, "new_connection", refused)


async def test_a_connection_lost_after_the_server_committed_leaves_the_outcome_unknown_if_no_one_can_ask(
        sql_container, people, monkeypatch, unit):
    async def lost() -> None:
        raise ConnectionDoesNotExistError("connection was closed in the middle of operation")

    commit_then(monkeypatch, lost)
    no_new_connection(monkeypatch)
    with pytest.raises(CommitOutcomeUnknownError):
        await unit(sql_container, booking(people))
    monkeypatch.undo()
    assert await stored(sql_container) == 1  # it had committed: "failed" would have been a lie


async def test_a_commit_the_server_refused_is_a_plain_failure(sql_container, people, monkeypatch, unit):
    async def refused(connection, _send) -> None:
        await connection.execute("ROLLBACK")
        raise SerializationError("could not serialize access due to concurrent update")

    replace_commits(monkeypatch, refused)
    with pytest.raises(Exception) as raised:
        await unit(sql_container, booking(people))
    assert not isinstance(raised.value, CommitOutcomeUnknownError)
    monkeypatch.undo()
    assert await stored(sql_container) == 0
