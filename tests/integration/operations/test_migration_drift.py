"""Alembic migrations are the only way the schema is made: they must build exactly the tables the code maps."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from hospital.adapters.sqlalchemy.tables import metadata
from hospital.entrypoints.migrations import downgrade, upgrade
from tests.support.backends import POSTGRES_URL

BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]


@pytest.fixture(params=BACKENDS)
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database with nothing in it; on PostgreSQL one of its own, apart from the per-test one."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    server = make_url(POSTGRES_URL)
    name = f"hospital_migrations_{uuid.uuid4().hex[:12]}"
    admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()


def _differences(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": False})
    with warnings.catch_warnings():
        # Alembic cannot reflect the lower(username) expression index on every backend, and says so.
        warnings.filterwarnings("ignore", message=".*uq_users_username_lower.*")
        warnings.filterwarnings("ignore", message=".*expression.*index.*", category=UserWarning)
        return compare_metadata(context, metadata)


async def schema_differences(url: str) -> list:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_differences)
    finally:
        await engine.dispose()


async def table_names(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


async def test_the_migrations_build_exactly_the_mapped_tables(empty_database: str) -> None:
    upgrade(empty_database)

    assert await schema_differences(empty_database) == []
    assert await table_names(empty_database) == {*metadata.tables, "alembic_version"}


async def test_the_migrations_go_down_to_nothing_and_up_again(empty_database: str) -> None:
    upgrade(empty_database)
    downgrade(empty_database, "base")

    assert await table_names(empty_database) == {"alembic_version"}

    upgrade(empty_database)
    assert await schema_differences(empty_database) == []


async def test_usernames_are_unique_ignoring_case_in_the_database_itself(empty_database: str) -> None:
    # The lower(username) index: the last guard when two registrations race past the application's check.
    upgrade(empty_database)
    engine = create_async_engine(empty_database)
    insert = ("INSERT INTO users (username, email, first_name, last_name, password_hash, is_staff, is_active, "
              "date_joined, token_version) VALUES ('{name}', '', '', '', 'x', false, true, CURRENT_TIMESTAMP, 0)")
    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql(insert.format(name="Alice"))
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.exec_driver_sql(insert.format(name="aLICE"))
    finally:
        await engine.dispose()


async def test_a_drifted_table_would_be_noticed(empty_database: str) -> None:
    # Guards the tests above: the comparison does see a difference when there is one.
    upgrade(empty_database)
    engine = create_async_engine(empty_database)
    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql("CREATE TABLE stray (id INTEGER PRIMARY KEY)")
    finally:
        await engine.dispose()
    assert await schema_differences(empty_database) != []
