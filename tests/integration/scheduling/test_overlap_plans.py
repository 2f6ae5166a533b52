"""SQLite finds the appointments an overlap check looks at through the indexes on ends_at (migration
0007): the overlap triggers and the busy intervals' query scan the appointments ending after the
start, not every earlier one of the doctor or the patient (which the (doctor_id, starts_at) index,
taken for its two-sided range, would); the busy intervals' query also stops at the listed span's
end plus the longest appointment, not at the doctor's last booking. A plan, not a timing: what keeps
a booking's and a listing's cost from growing with the doctor's history and future bookings."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from hospital.adapters.sqlalchemy.direct_reads import SqliteDirectReader
from hospital.adapters.sqlalchemy.schedules import _SQLITE_ALL_THREE, _SQLITE_BUSY
from hospital.entrypoints.migrations import upgrade

START, END = "2027-01-04 10:00:00.000000", "2027-01-04 10:30:00.000000"
ENDS_BY = "2027-01-04 18:30:00.000000"  # END plus the longest appointment
BUSY_BY_END = ("SEARCH appointments USING INDEX ix_appointments_doctor_id_ends_at "
               "(doctor_id=? AND ends_at>? AND ends_at<?)")


@pytest.fixture
def database(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    path = tmp_path / "plans.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{path}")
    connection = sqlite3.connect(path)
    yield connection
    connection.close()


def _plan(connection: sqlite3.Connection, sql: str, values: tuple) -> str:
    return " ".join(row[-1] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", values))


@pytest.mark.parametrize("column", ["doctor_id", "patient_id"])
def test_the_overlap_triggers_search_by_end(database, column):
    name = f"ex_appointments_{column.split('_')[0]}_overlap_on_insert"
    (body,) = database.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    check = body.split("EXISTS (", 1)[1].rsplit(")", 1)[0]
    for new in ("id", "ends_at", "starts_at", column):
        check = check.replace(f"NEW.{new}", f":{new}")
    plan = _plan(database, check, {"id": -1, "ends_at": END, "starts_at": START, column: 1})
    assert plan == f"SEARCH other USING INDEX ix_appointments_{column}_ends_at ({column}=? AND ends_at>?)"


def test_the_busy_intervals_are_searched_by_end(database):
    sql, values = _SQLITE_BUSY.bind(SqliteDirectReader.dialect, {"doctor_id": 1, "since": START, "until": END,
                                                                  "ends_by": ENDS_BY})
    assert _plan(database, sql, tuple(values)) == BUSY_BY_END


def test_the_listing_statement_searches_the_busy_intervals_by_end(database):
    """The busy intervals' query inside the listing's one statement (ordered by start for the
    comparison) keeps that plan: the sort is of the rows found, not a reason to take another index."""
    sql, values = _SQLITE_ALL_THREE.bind(SqliteDirectReader.dialect, {
        "doctor_id": 1, "first": "2027-01-04", "last": "2027-01-04", "since": START, "until": END, "ends_by": ENDS_BY})
    plan = _plan(database, sql, tuple(values))
    assert BUSY_BY_END in plan
    assert "uq_appointments_doctor_id_starts_at" not in plan
