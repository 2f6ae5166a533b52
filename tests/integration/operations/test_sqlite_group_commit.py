"""SQLite group commit (adapters/sqlalchemy/sqlite_writer.py): units of work that queue behind each
other share one COMMIT, yet each is all or nothing, fails alone, and is acknowledged only once its
work is on disk. What goes wrong around it (a failed COMMIT, cancelled callers, ...) is in
test_sqlite_writer_failures.py."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing

import pytest

from hospital.adapters.sqlalchemy.database_errors import REFERENCE_REMOVED
from hospital.adapters.sqlalchemy.sqlite_writer import SqliteWriter
from hospital.domain.appointments import Appointment
from hospital.domain.errors import NON_FIELD_ERRORS, ConflictError
from tests.support.clinic import booking, cast

UNITS = 12


@pytest.fixture
def database_file(database_url: str) -> str:
    if not database_url.startswith("sqlite"):
        pytest.skip("group commit is the SQLite writer's")
    return database_url.removeprefix("sqlite+aiosqlite:///")


@pytest.fixture
def commits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many COMMITs the writer ran, each with how many units waiting on it."""
    counted: list[int] = []
    original = SqliteWriter.commit

    async def counting(self: SqliteWriter, caller) -> None:
        counted.append(len(self.machine.group))
        await original(self, caller)

    monkeypatch.setattr(SqliteWriter, "commit", counting)
    return counted


def stored_ids(database_file: str) -> set[int]:
    # Another connection, as another process would read: only committed rows are there.
    with closing(sqlite3.connect(database_file)) as other:
        return {row[0] for row in other.execute("SELECT id FROM appointments")}



async def book(container, appointment: Appointment, database_file: str, *, fail: bool = False) -> int:
    async with container.unit_of_work() as uow:
        await uow.appointments.add(appointment)
        if fail:
            raise RuntimeError("the use case refuses after writing")
        await uow.commit()
    assert appointment.id in stored_ids(database_file)  # acknowledged: already committed
    return appointment.id


async def test_units_queued_together_share_a_commit_and_each_is_committed_when_it_returns(
        sql_container, database_file, commits):
    people = await cast(sql_container)
    commits.clear()
    ids = await asyncio.gather(*(book(sql_container, booking(people, n), database_file) for n in range(UNITS)))
    assert len(set(ids)) == UNITS and set(ids) <= stored_ids(database_file)
    assert sum(commits) == UNITS and len(commits) < UNITS, commits


async def test_a_unit_that_fails_takes_only_its_own_work_back(sql_container, database_file, commits):
    people = await cast(sql_container)
    commits.clear()
    good = [booking(people, n) for n in range(4)]
    refused, broken = booking(people, 5), booking(people, 6, patient_id=987654)  # no such patient: a foreign key
    results = await asyncio.gather(
        *(book(sql_container, appointment, database_file) for appointment in good[:2]),
        book(sql_container, refused, database_file, fail=True),
        book(sql_container, broken, database_file),
        *(book(sql_container, appointment, database_file) for appointment in good[2:]),
        return_exceptions=True,
    )
    assert isinstance(results[2], RuntimeError)
    assert isinstance(results[3], ConflictError) and results[3].errors == {NON_FIELD_ERRORS: [REFERENCE_REMOVED]}
    assert stored_ids(database_file) == {appointment.id for appointment in good}
    assert len(commits) < len(good), commits
