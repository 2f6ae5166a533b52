"""Migration 0005 on data that was there before it: available times get the windows their labels read
as, appointments stay undated with the status their two fields say; and on SQLite the 0003 trigger of
available_times survives (the table is altered in place, not rebuilt)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from hospital.entrypoints.migrations import upgrade
from tests.integration.conftest import POSTGRES_URL
from tests.support.postgres_databases import drop_database, recreate_database, scratch_database_url

LABELS = {1: ("9am-10am", (time(9), time(10))), 2: ("9 AM - 10 AM", (time(9), time(10))),
          3: ("09:00-10:00", (time(9), time(10))), 4: ("9:30am-11am", (time(9, 30), time(11))),
          5: ("Monday morning", (None, None)), 6: ("Slot 6", (None, None))}
# (status, cancelled) -> the FHIR status it becomes
APPOINTMENTS = {1: ("Pendding", False, "proposed"), 2: ("Runing", False, "checked-in"),
                3: ("Complated", False, "fulfilled"), 4: ("Pendding", True, "cancelled")}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'before.sqlite3'}"
        return
    if not POSTGRES_URL:
        pytest.skip("needs HOSPITAL_TEST_DATABASE_URL (PostgreSQL)")
    url = scratch_database_url(POSTGRES_URL, "m0005")
    recreate_database(POSTGRES_URL, url)
    yield url
    drop_database(POSTGRES_URL, url)


async def _run(url: str, *statements: str) -> list:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            rows: list = []
            for statement in statements:
                result = await connection.execute(text(statement))
                rows = list(result.all()) if result.returns_rows else []
            return rows
    finally:
        await engine.dispose()


async def test_existing_rows_get_windows_and_statuses(database: str) -> None:
    upgrade(database, "0004")
    now = "'2026-01-01 00:00:00'"
    await _run(
        database,
        f"INSERT INTO users (id, username, email, password_hash, date_joined) VALUES (1, 'u', 'u@x.org', 'h', {now})",
        "INSERT INTO patients (id, user_id) VALUES (1, 1)",
        "INSERT INTO doctors (id, user_id, fee) VALUES (1, 1, 10)",
        *(f"INSERT INTO available_times (id, time) VALUES ({time_id}, '{label}')"
          for time_id, (label, _) in LABELS.items()),
        *(f"INSERT INTO appointments (id, patient_id, doctor_id, time_id, appointment_type, status, cancelled) "
          f"VALUES ({row_id}, 1, 1, 1, 'Online', '{status}', {'TRUE' if cancelled else 'FALSE'})"
          for row_id, (status, cancelled, _) in APPOINTMENTS.items()),
    )
    upgrade(database, "0005")
    times = await _run(database, "SELECT id, time, window_start, window_end FROM available_times ORDER BY id")
    for time_id, label, start, end in times:
        expected = LABELS[time_id][1]
        read = tuple(None if value is None else (time.fromisoformat(value) if isinstance(value, str) else value)
                     for value in (start, end))
        assert (label, read) == (LABELS[time_id][0], expected)
    rows = await _run(database, "SELECT id, fhir_status, starts_at, ends_at, time_id FROM appointments ORDER BY id")
    assert [(row_id, status, start, end, time_id) for row_id, status, start, end, time_id in rows] == [
        (row_id, fhir, None, None, 1) for row_id, (_, _, fhir) in APPOINTMENTS.items()]
    if database.startswith("sqlite"):
        triggers = await _run(database, "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                        "AND tbl_name = 'available_times'")
        assert triggers == [("available_times_delete_moves_doctors_version",)]
