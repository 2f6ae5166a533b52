"""A batch of audit events on a SQLite file is inserted on the writer's thread (audit.py,
``LoopSqliteConnection.run_on_thread``), so the loop serves meanwhile; it keeps the writer's turn
until it has returned, even when its caller is cancelled, and a failure takes back only its unit."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from contextlib import closing

import pytest

from hospital.adapters.sqlalchemy import audit
from hospital.domain.audit import ActorRole, AuditAction, AuditEntry, RequestContext, ResourceType

ENTRIES = [AuditEntry(AuditAction.SEARCH, ResourceType.APPOINTMENT, patient_ids=(n, n + 1), actor_user_id=1,
                      actor_role=ActorRole.DOCTOR) for n in range(1, 6)]


@pytest.fixture
def database_file(database_url: str) -> str:
    if not database_url.startswith("sqlite"):
        pytest.skip("the SQLite writer's")
    return database_url.removeprefix("sqlite+aiosqlite:///")


def stored(database_file: str) -> tuple[int, int]:
    with closing(sqlite3.connect(database_file)) as other:
        return (other.execute("SELECT count(*) FROM audit_events").fetchone()[0],
                other.execute("SELECT count(*) FROM audit_event_patients").fetchone()[0])


async def write_batch(container) -> None:
    async with container.unit_of_work() as uow:
        await uow.audit.append_many(ENTRIES)
        await uow.commit()


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch):
    """The batch's inserts wait on the writer's thread until ``release`` is set; ``started`` says they run."""
    started, release = threading.Event(), threading.Event()
    threads: list[str] = []
    original = audit._insert_batch

    def waiting(*args) -> None:
        threads.append(threading.current_thread().name)
        started.set()
        release.wait(10)
        original(*args)

    monkeypatch.setattr(audit, "_insert_batch", waiting)
    return started, release, threads


async def wait_for(event: threading.Event) -> None:
    await asyncio.to_thread(event.wait, 10)


async def test_the_loop_serves_while_a_batch_is_inserted_on_the_writer_s_thread(sql_container, database_file,
                                                                               held) -> None:
    started, release, threads = held
    writing = asyncio.ensure_future(write_batch(sql_container))
    await wait_for(started)
    # The loop is free while the inserts are held on the thread (on the loop's thread they would block it).
    await asyncio.sleep(0.01)
    assert not writing.done()
    release.set()
    await writing
    assert threads and threads[0].startswith("sqlite-writer") and threads[0] != threading.current_thread().name
    assert stored(database_file) == (5, 10)
    assert (await sql_container.audit_events().verify()).valid


async def test_a_cancelled_batch_keeps_the_turn_until_its_inserts_return_and_is_rolled_back(
        sql_container, database_file, held) -> None:
    started, release, _ = held
    writing = asyncio.ensure_future(write_batch(sql_container))
    await wait_for(started)
    writing.cancel()
    other = asyncio.ensure_future(write_batch(sql_container))  # waits for the turn meanwhile
    await asyncio.sleep(0.05)
    assert not writing.done() and not other.done()  # the cancelled one still holds the turn
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await writing
    await other
    assert stored(database_file) == (5, 10)  # the other batch only; the cancelled one was rolled back
    assert (await sql_container.audit_events().verify()).valid


async def test_a_batch_that_fails_on_the_thread_takes_back_only_its_unit(sql_container, database_file,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    await write_batch(sql_container)
    original = audit._insert_batch

    def failing(*args) -> None:
        original(*args)
        raise sqlite3.IntegrityError("refused after its inserts")

    monkeypatch.setattr(audit, "_insert_batch", failing)
    with pytest.raises(sqlite3.IntegrityError):
        await write_batch(sql_container)
    monkeypatch.setattr(audit, "_insert_batch", original)
    await write_batch(sql_container)
    assert stored(database_file) == (10, 20)
    assert (await sql_container.audit_events().verify()).valid


async def test_a_batch_is_a_driver_transaction_of_its_own_not_the_session_s(sql_container, database_file) -> None:
    """No ORM session, pool checkout, nor SQLAlchemy's BEGIN and COMMIT around a batch: they cost
    about 1 ms of CPU per batch. The writer's group commit still makes it durable before commit returns."""
    async with sql_container.unit_of_work() as uow:
        await uow.audit.append_many(ENTRIES)
        assert uow.current_session is None and uow.current_driver_transaction is not None
        await uow.commit()
    assert stored(database_file) == (5, 10)
    assert (await sql_container.audit_events().verify()).valid


async def test_a_unit_that_used_the_session_writes_its_batch_there(sql_container, database_file) -> None:
    async with sql_container.unit_of_work() as uow:
        await uow.session.connection()  # the unit has begun on the ORM
        await uow.audit.append_many(ENTRIES)
        assert uow.current_driver_transaction is None
        await uow.commit()
    assert stored(database_file) == (5, 10)


async def test_a_batch_is_two_statements_on_the_writer_s_thread_whatever_its_size(
        sql_container, database_file, monkeypatch: pytest.MonkeyPatch) -> None:
    # sqlite3 takes the GIL back after each step of a statement: an executemany per table would take
    # it once per row, each a forced switch away from the busy loop (audit.py, _SQLITE_JSON_EVENTS).
    statements: list[str] = []
    original = audit._insert_batch

    def traced(sqlite: sqlite3.Connection, *args) -> None:
        sqlite.set_trace_callback(statements.append)
        try:
            original(sqlite, *args)
        finally:
            sqlite.set_trace_callback(None)

    monkeypatch.setattr(audit, "_insert_batch", traced)
    entries = [AuditEntry(AuditAction.READ, ResourceType.PATIENT, resource_id=n, patient_ids=(n, n + 1, n + 2),
                          actor_user_id=n, actor_role=ActorRole.PATIENT) for n in range(1, 41)]
    async with sql_container.unit_of_work() as uow:
        await uow.audit.append_many(entries)
        await uow.commit()
    assert [s.split(" (")[0] for s in statements] == ["INSERT INTO audit_events",
                                                        "INSERT INTO audit_event_patients"]
    assert stored(database_file) == (40, 120)
    assert (await sql_container.audit_events().verify()).valid


async def test_a_batch_s_values_are_stored_as_sealed(sql_container, database_file) -> None:
    """The batch travels as JSON text: quotes, backslashes, control characters, non-ASCII text,
    NULLs and large integers come out of it as they went in (the hashes cover every one)."""
    awkward = 'a "quoted" \\ back\\slash\nnew line\ttab \u00e9\u4e2d\U0001f600 \x01'
    entries = [
        AuditEntry(AuditAction.SEARCH, ResourceType.APPOINTMENT, patient_ids=(7, 2**62), actor_user_id=2**63 - 1,
                   actor_role=ActorRole.DOCTOR, filters=(("q", awkward), ("limit", "10")),
                   context=RequestContext(awkward, "request-1", awkward)),
        AuditEntry(AuditAction.READ, ResourceType.PATIENT, resource_id=None, username=None,
                   context=RequestContext(None, None, None)),
    ]
    async with sql_container.unit_of_work() as uow:
        sealed = await uow.audit.append_many(entries)
        await uow.commit()
    stored_events = {event.id: event for event in await sql_container.audit_events().all_events()}
    assert [stored_events[event.id].entry for event in sealed] == entries
    assert [(stored_events[event.id].seq, stored_events[event.id].hash) for event in sealed] == \
        [(event.seq, event.hash) for event in sealed]
    with closing(sqlite3.connect(database_file)) as other:
        types = other.execute("SELECT typeof(seq), typeof(actor_user_id), typeof(resource_id), typeof(username) "
                              "FROM audit_events WHERE id = ?", (sealed[0].id,)).fetchone()
    assert types == ("integer", "integer", "null", "null")
    assert (await sql_container.audit_events().verify()).valid
