"""Each doctor's copies of its link tables' ids (migration 0009) equal the link tables after every way
the links change: a doctor created, its lists changed by PATCH or PUT, a designation, specialisation
or available time deleted (the cascade removes its links), a doctor deleted, a link written by hand
(another writer), and, on PostgreSQL, two transactions changing one doctor's links at once.
The migration fills the copies of rows that existed before it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from hospital.application.doctors import DoctorChanges
from hospital.application.taxonomy import TaxonChanges
from hospital.entrypoints.migrations import downgrade, upgrade
from tests.integration.operations.test_migration_drift import empty_database  # noqa: F401 - a fixture
from tests.support.actors import register
from tests.support.catalogue import doctor_changes

# (link table, its linked id column, the copy on doctors)
LINKS = (
    ("doctor_designations", "designation_id", "linked_designation_ids"),
    ("doctor_specialisations", "specialisation_id", "linked_specialisation_ids"),
    ("doctor_available_times", "available_time_id", "linked_available_time_ids"),
)


async def copies_and_links(url: str) -> tuple[dict, dict]:
    """Per doctor id, its three copies decoded, and its three lists of linked ids from the link tables."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            copied = {row[0]: tuple(json.loads(value) for value in row[1:]) for row in await connection.execute(
                text("SELECT id, " + ", ".join(copy for _, _, copy in LINKS) + " FROM doctors"))}
            linked: dict = {doctor_id: ([], [], []) for doctor_id in copied}
            for position, (table, column, _) in enumerate(LINKS):
                rows = await connection.execute(text(f"SELECT doctor_id, {column} FROM {table} ORDER BY {column}"))
                for doctor_id, linked_id in rows:
                    linked[doctor_id][position].append(linked_id)
    finally:
        await engine.dispose()
    return copied, {doctor_id: tuple(lists) for doctor_id, lists in linked.items()}


async def assert_copies_follow(url: str) -> dict:
    copied, linked = await copies_and_links(url)
    assert copied == linked
    return copied


async def _doctor(direct, boss, catalogue, **changes) -> int:
    user = await register(direct)
    return (await direct.create_doctor()(boss, doctor_changes(catalogue, user=user.user_id, **changes))).id


async def test_the_copies_follow_every_change_of_the_links(direct, boss, catalogue, database_url):
    d, s, t = catalogue.designations, catalogue.specialisations, catalogue.times
    first = await _doctor(direct, boss, catalogue, designation=(d[1], d[0]), specialisation=s, available_time=(t[1],))
    second = await _doctor(direct, boss, catalogue)
    copied = await assert_copies_follow(database_url)
    assert copied[first] == (sorted(d), sorted(s), [t[1]])

    await direct.update_doctor()(boss, first, DoctorChanges(designation=(d[1],), available_time=t), partial=True)
    assert (await assert_copies_follow(database_url))[first] == ([d[1]], sorted(s), sorted(t))

    await direct.update_doctor()(boss, second, doctor_changes(catalogue, specialisation=(s[1],)), partial=False)
    assert (await assert_copies_follow(database_url))[second] == ([d[0]], [s[1]], [t[0]])

    await direct.delete_designation()(boss, d[1])
    await direct.delete_specialisation()(boss, s[0])
    await direct.delete_available_time()(boss, t[0])
    copied = await assert_copies_follow(database_url)
    assert copied == {first: ([], [s[1]], [t[1]]), second: ([d[0]], [s[1]], [])}

    await direct.delete_doctor()(boss, first)
    assert set(await assert_copies_follow(database_url)) == {second}


async def test_any_writer_of_the_links_moves_the_copies(direct, boss, catalogue, database_url):
    # Statements an admin's SQL shell could run: an insert, an update that moves a link from one
    # doctor to another, a delete.
    d = catalogue.designations
    first = await _doctor(direct, boss, catalogue)
    second = await _doctor(direct, boss, catalogue)
    engine = create_async_engine(database_url)
    try:
        for statement in (
            f"INSERT INTO doctor_designations (doctor_id, designation_id) VALUES ({first}, {d[1]})",
            f"UPDATE doctor_designations SET doctor_id = {second} "
            f"WHERE doctor_id = {first} AND designation_id = {d[1]}",
            f"UPDATE doctor_designations SET designation_id = {d[1]} WHERE doctor_id = {first}",
            f"DELETE FROM doctor_designations WHERE doctor_id = {second} AND designation_id = {d[0]}",
        ):
            async with engine.begin() as connection:
                await connection.execute(text(statement))
            await assert_copies_follow(database_url)
    finally:
        await engine.dispose()
    copied = await assert_copies_follow(database_url)
    assert (copied[first][0], copied[second][0]) == ([d[1]], [d[1]])


async def test_two_transactions_linking_one_doctor_at_once_both_show(direct, boss, catalogue, database_url):
    # The second's trigger waits for the first's lock on the doctor's row; once it has it, it must
    # recompute from a snapshot that sees the first's link, or that link is lost from the copy.
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time")
    d = catalogue.designations
    doctor = await _doctor(direct, boss, catalogue, designation=(d[0],))
    second_designation = (await direct.create_designation()(boss, TaxonChanges(name="Registrar"))).id
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    first, second = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    try:
        await first.execute("BEGIN")
        await first.execute(f"INSERT INTO doctor_designations VALUES ({doctor}, {d[1]})")
        await second.execute("BEGIN")
        waiting = asyncio.create_task(
            second.execute(f"INSERT INTO doctor_designations VALUES ({doctor}, {second_designation})"))
        pid = second.get_server_pid()
        for _ in range(500):  # until the second waits for the first's lock
            if await first.fetchval("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1", pid):
                break
            await asyncio.sleep(0.01)
        else:
            pytest.fail("the second transaction never waited for the first")
        await first.execute("COMMIT")
        await waiting
        await second.execute("COMMIT")
    finally:
        await first.close()
        await second.close()
    copied = await assert_copies_follow(database_url)
    assert copied[doctor][0] == sorted((d[0], d[1], second_designation))


async def test_the_migration_fills_the_copies_of_existing_doctors(empty_database: str,  # noqa: F811
                                                                  tmp_path: Path) -> None:
    upgrade(empty_database, "0008")
    engine = create_async_engine(empty_database)
    try:
        async with engine.begin() as connection:
            for user in (1, 2, 3):
                await connection.execute(text(
                    "INSERT INTO users (id, username, email, first_name, last_name, password_hash, is_staff, "
                    f"is_active, date_joined, token_version) VALUES ({user}, 'user{user}', '', '', '', 'x', false, "
                    "true, CURRENT_TIMESTAMP, 0)"))
            for table in ("designations", "specialisations"):
                for pk in (1, 2, 3):
                    await connection.execute(text(
                        f"INSERT INTO {table} (id, name, slug) VALUES ({pk}, 'n{pk}', '{table}-{pk}')"))
            for pk in (1, 2):
                await connection.execute(text(f"INSERT INTO available_times (id, time) VALUES ({pk}, 't{pk}')"))
            for doctor in (1, 2, 3):
                await connection.execute(text(
                    f"INSERT INTO doctors (id, user_id, fee, meet_link) VALUES ({doctor}, {doctor}, 10, '')"))
            for table, column, rows in (
                ("doctor_designations", "designation_id", ((1, 3), (1, 1), (2, 2))),
                ("doctor_specialisations", "specialisation_id", ((1, 2), (2, 3), (2, 1))),
                ("doctor_available_times", "available_time_id", ((2, 2),)),
            ):
                for doctor, linked in rows:
                    await connection.execute(text(
                        f"INSERT INTO {table} (doctor_id, {column}) VALUES ({doctor}, {linked})"))
    finally:
        await engine.dispose()

    upgrade(empty_database, "head")
    copied = await assert_copies_follow(empty_database)
    assert copied == {1: ([1, 3], [2], []), 2: ([2], [1, 3], [2]), 3: ([], [], [])}

    downgrade(empty_database, "0008")
    upgrade(empty_database, "head")
    assert await assert_copies_follow(empty_database) == copied
