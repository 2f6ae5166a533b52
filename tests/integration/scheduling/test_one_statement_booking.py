"""On PostgreSQL a dated booking and its audit event are one statement in an implicit transaction,
the event hashed by PostgreSQL around the appointment's id (adapters/sqlalchemy/booking_statement.py).
Each invariant of that module's docstring, and each way it can go wrong:

- one round trip; the appointment and its event stored together; ``hospital audit verify`` passes;
- a refused booking (409 overlap, 400 once the sources moved) writes neither, the lane stays;
- the connection lost while the statement is on its way, settled by the event's id (committed, not
  committed, and the old backend still running it: terminated before the question), the lane retired;
- a cancelled caller is told the statement's outcome;
- PostgreSQL's hash equals Python's for ids of every length and any text.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import asyncpg.connection
import pytest
from dependency_injector import providers
from sqlalchemy.engine import make_url

from hospital.adapters.audit_lanes import AuditLanes
from hospital.adapters.clock import FixedClock
from hospital.adapters.sqlalchemy import booking_statement, lost_commits
from hospital.adapters.sqlalchemy.appointments import SqlAlchemyAppointmentRepository
from hospital.application.dated_appointments import SlotBooking
from hospital.application.doctor_schedules import ScheduleExceptionCommand
from hospital.application.request_context import calling_from
from hospital.bootstrap import Container, shutdown
from hospital.domain.audit import ActorRole, AuditAction, AuditEntry, OpenAuditEvent, RequestContext, ResourceType
from hospital.domain.errors import ClashError, ValidationError
from hospital.entrypoints.cli import main
from tests.conftest import TEST_SECRET, make_settings
from tests.support.backends import production_container
from tests.support.scheduling import NOW, Clinic, clinic
from tests.support.sql_statements import round_trips
from tests.support.tcp_proxy import TcpProxy


@pytest.fixture
def postgres(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's one-statement booking (HOSPITAL_TEST_DATABASE_URL)")
    return database_url


@pytest.fixture
async def place(postgres, sql_container: Container) -> Clinic:
    sql_container.clock.override(providers.Object(FixedClock(NOW)))
    return await clinic(sql_container)


def at(hour: int, minute: int = 0, day: int = 4) -> datetime:
    return datetime(2027, 1, day, hour, minute, tzinfo=UTC)


async def book(container: Container, place: Clinic, start: datetime, *, by=None):
    return await container.book_slot()(by or place.patient, SlotBooking(
        doctor=place.doctor.doctor_id, start=start, appointment_type="Online"))


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _sql(url: str, query: str, *args):
    connection = await asyncpg.connect(_dsn(url))
    try:
        return await connection.fetch(query, *args)
    finally:
        await connection.close()


async def stored(url: str) -> tuple[list, list]:
    """The appointments, and the appointments' creation events (resource id, hash), as stored."""
    appointments = [row["id"] for row in await _sql(url, "SELECT id FROM appointments ORDER BY id")]
    events = [(row["resource_id"], row["chain"], row["seq"]) for row in await _sql(
        url, "SELECT resource_id, chain, seq FROM audit_events WHERE resource_type = 'appointment' "
             "AND action = 'create' AND outcome = 'success' ORDER BY chain, seq")]
    return appointments, events


def lanes_of(container: Container) -> AuditLanes:
    return container.audit_lanes()


def lane_heads(container: Container) -> dict[str, tuple[int, str]]:
    return {lane.name: (lane.seq, lane.head) for lane in lanes_of(container)._free}


async def verified(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """``hospital audit verify``'s exit status, run as an operator runs it."""
    for name in [name for name in os.environ if name.startswith("HOSPITAL_") and name != "HOSPITAL_TEST_DATABASE_URL"]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOSPITAL_ENV", "test")
    monkeypatch.setenv("HOSPITAL_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("HOSPITAL_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    return await asyncio.to_thread(main, ["audit", "verify"])


async def test_a_booking_and_its_event_are_one_round_trip_and_verify(
        postgres, sql_container, place, monkeypatch, tmp_path):
    await book(sql_container, place, at(9))  # the sources are now kept: nothing is read before the write
    await sql_container.audit_log().flush()
    sent = round_trips(monkeypatch)
    with calling_from(RequestContext("203.0.113.9", "req-\"1\"", 'agent \\ "quoted" \u00e9\u4e2d $q$')):
        row = await book(sql_container, place, at(10))
    monkeypatch.undo()
    assert len(sent) == 1 and sent[0].startswith("WITH booked AS"), sent
    appointments, events = await stored(postgres)
    assert row.id in appointments and [e for e in events if e[0] == row.id]
    (event,) = [e for e in await sql_container.audit_events().all_events()
                if (e.entry.resource_type, e.entry.resource_id, e.entry.action)
                == (ResourceType.APPOINTMENT, row.id, AuditAction.CREATE)]
    assert event.entry.patient_ids == (place.patient.patient_id,)
    assert event.entry.context.user_agent == 'agent \\ "quoted" \u00e9\u4e2d $q$'
    assert lane_heads(sql_container)[event.chain] == (event.seq, event.hash)  # the lane moved on to it
    assert (await sql_container.audit_events().verify()).valid
    assert await verified(postgres, tmp_path, monkeypatch) == 0


async def test_a_double_booking_is_409_and_writes_neither(postgres, sql_container, place):
    await book(sql_container, place, at(9))
    before, heads = await stored(postgres), lane_heads(sql_container)
    with pytest.raises(ClashError) as taken:
        await book(sql_container, place, at(9), by=place.other_patient)
    assert list(taken.value.errors) == ["start"]
    assert await stored(postgres) == before
    assert lane_heads(sql_container) == heads  # the lane stays where it was
    assert (await sql_container.audit_events().verify()).valid


async def test_a_booking_once_the_sources_moved_is_400_and_writes_neither(postgres, sql_container, place):
    await book(sql_container, place, at(9))  # kept
    await sql_container.add_schedule_exception()(place.admin, place.doctor.doctor_id, ScheduleExceptionCommand(
        date="2027-01-04", windows=[]))  # a day off: the kept sources are stale
    before, heads = await stored(postgres), lane_heads(sql_container)
    with pytest.raises(ValidationError) as refused:
        await book(sql_container, place, at(10))
    assert list(refused.value.errors) == ["start"]
    assert await stored(postgres) == before
    assert all(lane_heads(sql_container).get(name) == head for name, head in heads.items())
    assert (await sql_container.audit_events().verify()).valid


# The connection lost while the statement is on its way: the service's connections through a proxy.

@pytest.fixture
def proxy(postgres: str) -> Iterator[TcpProxy]:
    with TcpProxy.before(postgres) as running:
        yield running


@pytest.fixture
async def proxied(tmp_path: Path, postgres: str, proxy: TcpProxy) -> AsyncIterator[Container]:
    url = proxy.url_through(postgres)
    container = production_container(make_settings(tmp_path, database_url=url))
    container.clock.override(providers.Object(FixedClock(NOW)))
    yield container
    await shutdown(container)


def lose_the_first_statement(monkeypatch, proxy: TcpProxy, url: str, *, arrives: bool) -> list[str]:
    """The first one-statement booking is sent with the proxy dropping its answer (``arrives``: the
    server runs and commits it) or the statement itself; then its backend is ended, and the client
    hears only that its connection is gone."""
    what: list[str] = []
    real = asyncpg.connection.Connection.fetch

    async def fetch(self, query, *args, **kwargs):
        if not query.startswith("WITH booked AS") or what:
            return await real(self, query, *args, **kwargs)
        what.append("lost")
        proxy.drop("answers" if arrives else "requests")
        sent = asyncio.ensure_future(real(self, query, *args, **kwargs))
        await asyncio.sleep(0.3)
        await _sql(url, "SELECT pg_terminate_backend($1)", self.get_server_pid())
        await asyncio.sleep(0.3)
        proxy.drop()
        return await sent

    monkeypatch.setattr(asyncpg.connection.Connection, "fetch", fetch)
    return what


def count_runs(monkeypatch) -> list[int]:
    real = SqlAlchemyAppointmentRepository.book_slot
    runs: list[int] = []

    async def counted(self, *args, **kwargs):
        runs.append(1)
        return await real(self, *args, **kwargs)

    monkeypatch.setattr(SqlAlchemyAppointmentRepository, "book_slot", counted)
    return runs


async def test_a_statement_whose_answer_was_lost_after_it_committed_succeeds_once(
        postgres, proxy, proxied, sql_container, place, monkeypatch):
    warm = await book(proxied, place, at(11))  # its connection has the statement prepared (asyncpg)
    what = lose_the_first_statement(monkeypatch, proxy, postgres, arrives=True)
    runs = count_runs(monkeypatch)
    lanes = lanes_of(proxied)
    row = await book(proxied, place, at(9))
    monkeypatch.undo()
    assert (what, len(runs)) == (["lost"], 1)  # told it committed, by its event: not run again
    appointments, events = await stored(postgres)
    assert appointments == [warm.id, row.id] and [e[0] for e in events] == [warm.id, row.id]
    assert (lanes._opened, lanes.free) == (1, 0)  # the lane retired
    assert (await sql_container.audit_events().verify()).valid


async def test_a_statement_that_never_arrived_runs_again_once(
        postgres, proxy, proxied, sql_container, place, monkeypatch):
    warm = await book(proxied, place, at(11))
    what = lose_the_first_statement(monkeypatch, proxy, postgres, arrives=False)
    runs = count_runs(monkeypatch)
    lanes = lanes_of(proxied)
    row = await book(proxied, place, at(9))
    monkeypatch.undo()
    assert (what, len(runs)) == (["lost"], 2)  # not stored, by its event: run again
    appointments, events = await stored(postgres)
    assert appointments == [warm.id, row.id] and [e[0] for e in events] == [warm.id, row.id]
    assert (lanes._opened, lanes.free) == (2, 1)  # the first lane retired, the run again's moved on
    assert (await sql_container.audit_events().verify()).valid


async def _hold_the_slot(url: str, place: Clinic, start: datetime, end: datetime) -> asyncpg.Connection:
    """An open transaction holding an overlapping appointment: a booking of that slot waits on it."""
    connection = await asyncpg.connect(_dsn(url))
    await connection.execute("BEGIN")
    await connection.execute(
        "INSERT INTO appointments (patient_id, doctor_id, appointment_type, status, symptoms, cancelled, "
        "fhir_status, starts_at, ends_at) VALUES ($1, $2, 'Online', 'Pendding', '', false, 'booked', $3, $4)",
        place.other_patient.patient_id, place.doctor.doctor_id, start, end)
    return connection


async def test_a_backend_still_running_the_lost_statement_is_ended_before_the_question(
        postgres, proxy, proxied, sql_container, place, monkeypatch):
    """The statement waits on a lock when its connection is cut: unless its backend is ended first,
    it could commit after "not stored" was answered, and the caller, told to run again, book twice."""
    await book(proxied, place, at(11))  # the sources kept, the connection's statements ready
    holder = await _hold_the_slot(postgres, place, at(9), at(9, 30))
    try:
        runs = count_runs(monkeypatch)
        booking = asyncio.ensure_future(book(proxied, place, at(9)))
        await asyncio.sleep(0.5)  # sent, and waiting on the holder's row
        waiting = await _sql(postgres, "SELECT pid FROM pg_stat_activity WHERE query LIKE 'WITH booked AS%' "
                                       "AND wait_event_type = 'Lock'")
        assert len(waiting) == 1
        proxy.cut()  # the client loses its connections; the backend does not notice while it waits
        proxy.restore()
        await asyncio.sleep(0.3)
        assert not await _sql(postgres, "SELECT 1 FROM pg_stat_activity WHERE pid = $1", waiting[0]["pid"])
        await holder.execute("ROLLBACK")  # the slot is free again: the run again books it
        row = await asyncio.wait_for(booking, 10)
    finally:
        await holder.close()
    monkeypatch.undo()
    assert len(runs) == 2
    appointments, events = await stored(postgres)
    assert row.id in appointments and len(appointments) == 2 and len(events) == 2
    assert (await sql_container.audit_events().verify()).valid


async def test_a_cancelled_caller_is_told_the_statements_outcome(postgres, sql_container, place):
    await book(sql_container, place, at(11))
    holder = await _hold_the_slot(postgres, place, at(9), at(9, 30))
    try:
        booking = asyncio.ensure_future(book(sql_container, place, at(9)))
        await asyncio.sleep(0.5)  # the statement waits on the holder's row
        booking.cancel()
        await asyncio.sleep(0.1)
        await holder.execute("ROLLBACK")
        row = await asyncio.wait_for(booking, 10)  # committed: the cancellation withdrawn
    finally:
        await holder.close()
    appointments, events = await stored(postgres)
    assert row.id in appointments and [e for e in events if e[0] == row.id]
    assert (await sql_container.audit_events().verify()).valid


@pytest.mark.parametrize("resource_id", [1, 9, 10, 99, 123456, 2**31 + 7, 2**63 - 1])
async def test_postgresqls_hash_is_pythons(postgres, resource_id):
    entry = AuditEntry(action=AuditAction.CREATE, resource_type=ResourceType.APPOINTMENT, patient_ids=(3, 12),
                       actor_user_id=7, actor_role=ActorRole.PATIENT, username='o\'brien "x" \\ \u00e9',
                       filters=(("q", "a'b\"c\\d \u2603"),),
                       context=RequestContext("::1", "r\x01\n", "Mozilla \u4e2d\u6587 $$ \\x00 '\""))
    opened = OpenAuditEvent.open(entry, event_id="0" * 12 + "ab" * 10, recorded_at=NOW, chain="host-1-abc.1",
                                 seq=4, prev_hash="f" * 64)
    (row,) = await _sql(postgres, "SELECT encode(sha256(CAST($1 AS bytea) || CAST(CAST(CAST($2 AS bigint) AS "
                                  "varchar) AS bytea) || CAST($3 AS bytea)), 'hex') AS hash",
                        opened.prefix, resource_id, opened.suffix)
    assert row["hash"] == opened.sealed(resource_id).hash
    assert booking_statement.STORED_EVENT.startswith("SELECT resource_id, hash")


async def test_a_process_id_reused_by_another_backend_is_not_ended(postgres):
    """The lost statement's backend is named by its process id and start: another backend with that
    process id (the old one gone, its id reused) is left alone, and the question is answered."""
    other = await asyncpg.connect(_dsn(postgres))
    try:
        pid = other.get_server_pid()
        started = await other.fetchval("SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()")
        verdict, row = await lost_commits.settle_by_row(
            (pid, started - timedelta(seconds=1)), booking_statement.STORED_EVENT, "0" * 32,
            lambda: asyncpg.connect(_dsn(postgres)))
        assert (verdict, row) == (lost_commits.Verdict.RUN_AGAIN, None)
        assert await other.fetchval("SELECT 1") == 1  # still there
        verdict, _ = await lost_commits.settle_by_row(
            (pid, started), booking_statement.STORED_EVENT, "0" * 32, lambda: asyncpg.connect(_dsn(postgres)))
        assert verdict is lost_commits.Verdict.RUN_AGAIN  # the right start: ended, then asked
        assert not await _sql(postgres, "SELECT 1 FROM pg_stat_activity WHERE pid = $1", pid)
    finally:
        await other.close()
