"""A unit of work whose PostgreSQL backend is killed while its COMMIT is on its way is settled by
asking PostgreSQL what became of its transaction (adapters/sqlalchemy/lost_commits.py), on both
transaction paths: the ORM session (a contact) and the driver transaction (a booking).

The service's connections go through a TCP proxy, so that the COMMIT can be made to arrive with its
answer lost (the server committed, the client never hears), or not to arrive at all; then the
backend is ended with ``pg_terminate_backend``, as a failover or an administrator ends it:

- committed: the caller is told it succeeded, the unit ran once, one row;
- not committed: the unit runs again (the policy of application/retry.py), one row.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from hospital.adapters.sqlalchemy.appointments import SqlAlchemyAppointmentRepository
from hospital.adapters.sqlalchemy.contacts import SqlAlchemyContactRepository
from hospital.application.appointments import Booking
from hospital.application.contacts import ContactChanges
from hospital.application.pagination import PageRequest
from hospital.bootstrap import Container, shutdown
from tests.conftest import make_settings
from tests.support.backends import production_container
from tests.support.clinic import Cast, cast
from tests.support.commits import replace_commits
from tests.support.tcp_proxy import TcpProxy


@pytest.fixture
def postgres(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's transaction status (HOSPITAL_TEST_DATABASE_URL)")
    return database_url


@pytest.fixture
def proxy(postgres: str) -> Iterator[TcpProxy]:
    with TcpProxy.before(postgres) as running:
        yield running


@pytest.fixture
async def proxied(tmp_path: Path, postgres: str, proxy: TcpProxy) -> AsyncIterator[Container]:
    """The production wiring, every connection of it through the proxy."""
    url = proxy.url_through(postgres)
    container = production_container(make_settings(tmp_path, database_url=url))
    yield container
    await shutdown(container)


@pytest.fixture
async def people(postgres, sql_container: Container) -> Cast:
    return await cast(sql_container)


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _terminate(url: str, pid: int) -> None:
    connection = await asyncpg.connect(_dsn(url))
    try:
        assert await connection.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await connection.close()


def kill_the_backend_during_the_first_commit(monkeypatch: pytest.MonkeyPatch, proxy: TcpProxy, url: str, *,
                                             arrives: bool) -> list[str]:
    """asyncpg's first COMMIT is sent with the proxy dropping its answer (``arrives``: the server gets
    it and commits) or the COMMIT itself (it never arrives); then its backend is terminated, and the
    client hears only that its connection is gone. Returns what each COMMIT did."""
    commits: list[str] = []

    async def commit(connection, send) -> None:
        if commits:
            commits.append("committed")
            await send()
            return
        commits.append("lost")
        proxy.drop("answers" if arrives else "requests")
        sent = asyncio.ensure_future(send())
        await asyncio.sleep(0.3)  # the COMMIT has reached the server and committed, or was dropped
        await _terminate(url, connection.get_server_pid())
        await asyncio.sleep(0.3)  # the end of the session reaches the client as a closed connection
        proxy.drop()
        await sent

    replace_commits(monkeypatch, commit)
    return commits


def count_runs(monkeypatch: pytest.MonkeyPatch, repository: type, method: str) -> list[int]:
    real = getattr(repository, method)
    runs: list[int] = []

    async def counted(self, *args, **kwargs):
        runs.append(1)
        return await real(self, *args, **kwargs)

    monkeypatch.setattr(repository, method, counted)
    return runs


async def contacts_stored(container: Container, people: Cast) -> int:
    return len(await container.list_contacts()(people.admin))


async def bookings_stored(container: Container, people: Cast) -> int:
    return (await container.list_appointments()(people.admin, page=PageRequest())).total


async def submit(container: Container, people: Cast) -> int | None:
    contact = await container.submit_contact()(people.owner, ContactChanges(
        name="Ann", phone="01700000000", massage="hello"))
    return contact.id


async def book(container: Container, people: Cast) -> int | None:
    booked = await container.book_appointment()(people.owner, Booking(
        doctor=people.doctor.doctor_id, time=people.doctor_times[0], appointment_type="Online"))
    return booked.id


async def test_a_session_unit_whose_commit_arrived_before_its_backend_was_killed_succeeds_once(
        postgres, proxy, proxied, sql_container, people, monkeypatch) -> None:
    commits = kill_the_backend_during_the_first_commit(monkeypatch, proxy, postgres, arrives=True)
    runs = count_runs(monkeypatch, SqlAlchemyContactRepository, "add")
    assert await submit(proxied, people) is not None
    assert (commits, len(runs)) == (["lost"], 1)  # told it committed: not run again
    monkeypatch.undo()
    assert await contacts_stored(sql_container, people) == 1


async def test_a_session_unit_whose_commit_never_arrived_runs_again_once(
        postgres, proxy, proxied, sql_container, people, monkeypatch) -> None:
    commits = kill_the_backend_during_the_first_commit(monkeypatch, proxy, postgres, arrives=False)
    runs = count_runs(monkeypatch, SqlAlchemyContactRepository, "add")
    assert await submit(proxied, people) is not None
    assert (commits, len(runs)) == (["lost", "committed"], 2)  # aborted for sure: run again
    monkeypatch.undo()
    assert await contacts_stored(sql_container, people) == 1


async def test_a_booking_whose_commit_arrived_before_its_backend_was_killed_succeeds_once(
        postgres, proxy, proxied, sql_container, people, monkeypatch) -> None:
    commits = kill_the_backend_during_the_first_commit(monkeypatch, proxy, postgres, arrives=True)
    runs = count_runs(monkeypatch, SqlAlchemyAppointmentRepository, "book")
    assert await book(proxied, people) is not None
    assert (commits, len(runs)) == (["lost"], 1)
    monkeypatch.undo()
    assert await bookings_stored(sql_container, people) == 1


async def test_a_booking_whose_commit_never_arrived_runs_again_once(
        postgres, proxy, proxied, sql_container, people, monkeypatch) -> None:
    commits = kill_the_backend_during_the_first_commit(monkeypatch, proxy, postgres, arrives=False)
    runs = count_runs(monkeypatch, SqlAlchemyAppointmentRepository, "book")
    assert await book(proxied, people) is not None
    assert (commits, len(runs)) == (["lost", "committed"], 2)
    monkeypatch.undo()
    assert await bookings_stored(sql_container, people) == 1
