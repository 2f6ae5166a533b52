"""Every way a unit of work on the SQLite writer (adapters/sqlalchemy/sqlite_writer.py) can go wrong,
through the production wiring: a cancelled caller (waiting for the turn, during BEGIN, after its
savepoint is released, while the group's COMMIT runs), a failed COMMIT, a concurrent reader, a
closed connection, an error that ends SQLite's transaction. In each, a caller is told "failed"
only when its work is not in the file, and the writer's connection is used by one caller at a time.

The writer's connection is a ``FaultyConnection`` (tests/support/sqlite_faults.py): a COMMIT or a
BEGIN can be held on the writer's thread while the test acts, and statements can be made to fail.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from contextlib import closing

import pytest
from sqlalchemy import insert

from hospital.adapters.sqlalchemy.tables.catalogue import contacts
from hospital.application.appointments import Booking
from hospital.application.errors import ServiceUnavailableError
from hospital.application.pagination import PageRequest
from hospital.application.ports.appointments import BookingOutcome
from hospital.bootstrap import Container, shutdown
from hospital.domain.appointments import Appointment
from hospital.domain.errors import NotFoundError
from tests.support.clinic import Cast, booking, cast
from tests.support.sqlite_faults import Faults, faulty_writer


@pytest.fixture
def database_file(database_url: str) -> str:
    if not database_url.startswith("sqlite"):
        pytest.skip("the SQLite writer's")
    return database_url.removeprefix("sqlite+aiosqlite:///")


@pytest.fixture
def faults(sql_container: Container, database_file: str) -> Faults:
    return faulty_writer(sql_container)


@pytest.fixture
async def people(sql_container: Container, faults: Faults) -> Cast:
    return await cast(sql_container)


def stored_ids(database_file: str) -> set[int]:
    # Another connection, as another process or the direct reader reads: only committed rows.
    with closing(sqlite3.connect(database_file)) as other:
        return {row[0] for row in other.execute("SELECT id FROM appointments")}



async def on_the_driver(container: Container, appointment: Appointment) -> int:
    async with container.unit_of_work() as uow:
        assert await uow.appointments.book(appointment) is BookingOutcome.BOOKED
        await uow.commit()
    assert appointment.id is not None
    return appointment.id


async def through_the_session(container: Container, appointment: Appointment) -> int:
    async with container.unit_of_work() as uow:
        await uow.appointments.add(appointment)
        await uow.commit()
    assert appointment.id is not None
    return appointment.id


PATHS = {"driver": on_the_driver, "session": through_the_session}
Unit = Callable[[Container, Appointment], Awaitable[int]]


@pytest.fixture(params=sorted(PATHS))
def unit(request: pytest.FixtureRequest) -> Unit:
    return PATHS[request.param]


async def started(faults: Faults, word: str) -> None:
    """Until the gated statement ``word`` runs on the writer's thread."""
    for _ in range(1000):
        if faults.running[word].is_set():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"{word} never ran")


async def settled(task: asyncio.Task) -> BaseException | object:
    try:
        return await task
    except BaseException as error:  # the outcome is what the test checks
        return error


async def test_a_caller_cancelled_while_its_groups_commit_runs_is_told_it_committed(
        sql_container, people, faults, database_file, unit):
    gate = faults.gate("COMMIT")
    task = asyncio.create_task(unit(sql_container, booking(people)))
    await started(faults, "COMMIT")
    task.cancel()
    await asyncio.sleep(0.02)
    gate.set()
    outcome = await settled(task)
    assert isinstance(outcome, int), outcome  # told "committed", and it is
    assert outcome in stored_ids(database_file)
    assert faults.overlaps == []


async def holding_the_turn(container: Container, appointment: Appointment, proceed: asyncio.Event) -> int:
    """A unit that writes, then keeps the turn until ``proceed`` is set."""
    async with container.unit_of_work() as uow:
        await uow.appointments.add(appointment)
        await proceed.wait()
        await uow.commit()
    assert appointment.id is not None
    return appointment.id


async def test_a_caller_cancelled_after_its_savepoint_is_released_is_told_the_groups_outcome(
        sql_container, people, faults, database_file, unit):
    """Released into the group while another unit holds the turn ahead of the group's COMMIT, then
    cancelled before that COMMIT begins."""
    machine = sql_container.sqlite_writer().machine
    go_first, go_last = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(holding_the_turn(sql_container, booking(people, 0), go_first))
    await asyncio.sleep(0.02)
    released = asyncio.create_task(unit(sql_container, booking(people, 1)))
    last = asyncio.create_task(holding_the_turn(sql_container, booking(people, 2), go_last))
    await asyncio.sleep(0.02)
    go_first.set()
    for _ in range(1000):
        if len(machine.group) == 2:
            break
        await asyncio.sleep(0.001)
    assert len(machine.group) == 2 and machine.holder is not None and not machine.batch, machine
    released.cancel()
    await asyncio.sleep(0.02)
    go_last.set()
    outcomes = [await settled(first), await settled(released), await settled(last)]
    assert all(isinstance(outcome, int) for outcome in outcomes), outcomes
    assert set(outcomes) == stored_ids(database_file)
    assert faults.overlaps == []


async def test_a_caller_cancelled_before_its_savepoint_is_released_is_told_so_and_leaves_nothing(
        sql_container, people, faults, database_file, unit):
    gate = faults.gate("BEGIN")
    cancelled = asyncio.create_task(unit(sql_container, booking(people, 0)))
    await started(faults, "BEGIN")
    cancelled.cancel()
    after = asyncio.create_task(unit(sql_container, booking(people, 1)))
    await asyncio.sleep(0.02)
    gate.set()
    assert isinstance(await settled(cancelled), asyncio.CancelledError)
    kept = await settled(after)
    assert isinstance(kept, int), kept
    assert stored_ids(database_file) == {kept}
    assert faults.overlaps == []


async def test_a_caller_cancelled_while_waiting_for_the_turn_leaves_the_others_alone(
        sql_container, people, faults, database_file, unit):
    gate = faults.gate("BEGIN")
    first = asyncio.create_task(unit(sql_container, booking(people, 0)))
    await started(faults, "BEGIN")
    waiting = asyncio.create_task(unit(sql_container, booking(people, 1)))
    last = asyncio.create_task(unit(sql_container, booking(people, 2)))
    await asyncio.sleep(0.02)
    waiting.cancel()
    gate.set()
    outcomes = [await settled(first), await settled(waiting), await settled(last)]
    assert isinstance(outcomes[1], asyncio.CancelledError)
    assert stored_ids(database_file) == {outcomes[0], outcomes[2]}
    assert faults.overlaps == []


async def test_a_caller_waiting_for_the_turn_too_long_is_told_busy_and_leaves_the_others_alone(
        sql_container, people, faults, database_file, unit):
    """Past the writer's busy time a waiting caller gets SQLite's own "database is locked" (a 503),
    and leaves the line: the holder and the caller after it go on, and nothing of it is stored."""
    writer = sql_container.sqlite_writer()
    proceed = asyncio.Event()
    first = asyncio.create_task(holding_the_turn(sql_container, booking(people, 0), proceed))
    await asyncio.sleep(0.02)
    busy_seconds, writer.busy_seconds = writer.busy_seconds, 0.05
    try:
        timed_out = await settled(asyncio.create_task(unit(sql_container, booking(people, 1))))
    finally:
        writer.busy_seconds = busy_seconds
    assert isinstance(timed_out, ServiceUnavailableError), timed_out
    last = asyncio.create_task(unit(sql_container, booking(people, 2)))
    await asyncio.sleep(0.02)
    proceed.set()
    outcomes = [await settled(first), await settled(last)]
    assert all(isinstance(outcome, int) for outcome in outcomes), outcomes
    assert stored_ids(database_file) == set(outcomes)
    assert writer.machine.holder is None and not writer.machine.line
    assert faults.overlaps == []


async def test_nobody_takes_the_turn_while_a_cancelled_callers_commit_runs(
        sql_container, people, faults, database_file, unit):
    """A commit outside the units of work (an engine transaction) is cancelled while its COMMIT runs
    on the writer's thread: the next unit waits for that COMMIT to end."""
    gate = faults.gate("COMMIT")

    async def engine_transaction() -> None:
        async with sql_container.engine().begin() as connection:
            await connection.execute(insert(contacts).values(name="n", phone="1", massage="m"))

    outside = asyncio.create_task(engine_transaction())
    await started(faults, "COMMIT")
    outside.cancel()
    await asyncio.sleep(0.02)
    next_unit = asyncio.create_task(unit(sql_container, booking(people)))
    await asyncio.sleep(0.05)
    assert faults.overlaps == []
    gate.set()
    await settled(outside)
    kept = await settled(next_unit)
    assert isinstance(kept, int), kept
    assert kept in stored_ids(database_file)
    assert faults.overlaps == []


async def test_a_failed_commit_fails_every_unit_of_its_group_and_no_reader_ever_sees_their_rows(
        sql_container, people, faults, database_file, unit):
    before = stored_ids(database_file)
    gate = faults.gate("COMMIT")
    faults.fail("COMMIT", sqlite3.OperationalError("disk I/O error"))
    tasks = [asyncio.create_task(unit(sql_container, booking(people, index))) for index in range(6)]
    await started(faults, "COMMIT")
    assert stored_ids(database_file) == before  # released, not committed: a reader sees none of it
    gate.set()
    outcomes = [await settled(task) for task in tasks]
    assert all(isinstance(outcome, ServiceUnavailableError) for outcome in outcomes), outcomes
    assert stored_ids(database_file) == before
    kept = await unit(sql_container, booking(people))  # the lock was given back
    assert stored_ids(database_file) == before | {kept}
    assert faults.overlaps == []


async def test_an_error_that_ends_sqlites_transaction_fails_the_units_released_into_it(
        sql_container, people, faults, database_file, unit):
    """The second unit's INSERT fails with an I/O error that rolls back SQLite's whole transaction,
    and with it the first unit's released work: both are told so, and the next unit starts afresh."""
    faults.fail("INSERT", sqlite3.OperationalError("disk I/O error"), ends_transaction=True, skip=1)
    gate = faults.gate("BEGIN")
    first = asyncio.create_task(unit(sql_container, booking(people, 0)))
    await started(faults, "BEGIN")
    second = asyncio.create_task(unit(sql_container, booking(people, 1)))
    await asyncio.sleep(0.02)
    gate.set()
    outcomes = [await settled(first), await settled(second)]
    assert all(isinstance(outcome, ServiceUnavailableError) for outcome in outcomes), outcomes
    assert stored_ids(database_file) == set()
    kept = await unit(sql_container, booking(people, 2))
    assert stored_ids(database_file) == {kept}
    assert faults.overlaps == []


async def test_closing_the_writer_while_its_commit_runs_tells_each_caller_the_truth(
        sql_container, people, faults, database_file, unit):
    gate = faults.gate("COMMIT")
    tasks = [asyncio.create_task(unit(sql_container, booking(people, index))) for index in range(4)]
    await started(faults, "COMMIT")
    closing_down = asyncio.create_task(shutdown(sql_container))
    await asyncio.sleep(0.05)
    gate.set()
    outcomes = [await settled(task) for task in tasks]
    await closing_down
    told_committed = {outcome for outcome in outcomes if isinstance(outcome, int)}
    assert told_committed == stored_ids(database_file), outcomes
    assert faults.overlaps == []


async def test_closing_the_writer_before_its_commit_fails_the_released_units_and_keeps_none(
        sql_container, people, faults, database_file):
    """Units released into a group whose COMMIT has not begun when the writer closes."""
    gate = faults.gate("BEGIN")
    mark = len(faults.statements)
    first = asyncio.create_task(on_the_driver(sql_container, booking(people, 0)))
    await started(faults, "BEGIN")
    released = [asyncio.create_task(on_the_driver(sql_container, booking(people, index))) for index in (1, 2)]
    await asyncio.sleep(0.02)
    gate.set()
    for _ in range(1000):  # until all three have released their savepoints
        if sum(statement.startswith("RELEASE") for statement in faults.statements[mark:]) >= 3:
            break
        await asyncio.sleep(0)
    writer = sql_container.sqlite_writer()
    await shutdown(sql_container)
    outcomes = [await settled(task) for task in (first, *released)]
    told_committed = {outcome for outcome in outcomes if isinstance(outcome, int)}
    assert told_committed == stored_ids(database_file), outcomes
    assert not writer.is_open
    assert faults.overlaps == []


async def test_a_connection_closed_in_the_middle_of_its_unit_takes_only_its_own_work_back(
        sql_container, people, faults, database_file):
    engine = sql_container.engine()
    async with engine.connect() as connection:
        await connection.begin()
        await connection.execute(insert(contacts).values(name="lost", phone="1", massage="m"))
        await connection.invalidate()  # SQLAlchemy closes the DBAPI connection mid-transaction
    kept = await on_the_driver(sql_container, booking(people))
    assert stored_ids(database_file) == {kept}
    with closing(sqlite3.connect(database_file)) as other:
        assert other.execute("SELECT count(*) FROM contacts WHERE name = 'lost'").fetchone() == (0,)
    assert faults.overlaps == []


async def test_no_read_ever_returns_a_booking_whose_groups_commit_then_fails(sql_container, people, faults,
                                                                            database_file):
    """Issue 12's reproduction, through the use cases GET /appointments/ and GET /appointments/{id}/
    call: a booking holds the writer's turn (its BEGIN gated) while readers ask for the row it is
    about to insert; then the group's COMMIT fails. The reads run on the read side's connection,
    outside the writer's transaction, so none of them ever returns the row. (When reads went through
    an ORM session they queued for the writer's turn, got it between the booking's release and the
    COMMIT, ran as a savepoint inside the open group and answered with the row that never existed.)"""
    before = stored_ids(database_file)
    guessed = max(before, default=0) + 1  # the id the booking's INSERT will be given
    gate = faults.gate("BEGIN")
    faults.fail("COMMIT", sqlite3.OperationalError("disk I/O error"))
    booking_made = Booking(doctor=people.doctor.doctor_id, time=people.doctor_times[0],
                           appointment_type="Online", symptoms="never committed")
    booked = asyncio.create_task(sql_container.book_appointment()(people.owner, booking_made))
    await started(faults, "BEGIN")
    seen: list[object] = []

    async def read_until_settled(read: Callable[[], Awaitable[object]]) -> None:
        while True:
            outcome = await settled(asyncio.ensure_future(read()))
            seen.append(outcome)
            if booked.done():
                return
            await asyncio.sleep(0)

    def get_one() -> Awaitable[object]:
        return sql_container.get_appointment()(people.admin, guessed)

    async def list_ids() -> object:
        page = await sql_container.list_appointments()(people.admin, page=PageRequest())
        return [row.id for row in page.items]

    readers = [asyncio.create_task(read_until_settled(read)) for read in (get_one, list_ids, get_one)]
    await asyncio.sleep(0.05)
    gate.set()
    outcome = await settled(booked)
    await asyncio.gather(*readers)
    assert isinstance(outcome, ServiceUnavailableError), outcome
    assert stored_ids(database_file) == before
    assert seen, "the readers never ran"
    assert [result for result in seen if not (isinstance(result, NotFoundError) or result == sorted(before))] == []
    assert faults.overlaps == []
