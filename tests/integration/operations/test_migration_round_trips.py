"""Every migration goes up, down and up again, on SQLite and (with HOSPITAL_TEST_DATABASE_URL) on
PostgreSQL, and the schema they build is the one the tables describe."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from hospital.adapters.sqlalchemy.tables import metadata
from hospital.entrypoints.migrations import downgrade, migrations_folder, upgrade
from tests.integration.conftest import POSTGRES_URL
from tests.support.postgres_databases import drop_database, recreate_database, scratch_database_url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    if not POSTGRES_URL:
        pytest.skip("needs HOSPITAL_TEST_DATABASE_URL (PostgreSQL)")
    url = scratch_database_url(POSTGRES_URL, "migrations")
    recreate_database(POSTGRES_URL, url)
    yield url
    drop_database(POSTGRES_URL, url)


def _revisions_oldest_first() -> list:
    return list(reversed(list(ScriptDirectory(str(migrations_folder())).walk_revisions())))


async def _inspect(url: str, look):
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(look)
    finally:
        await engine.dispose()


def _tables(connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


def _differences(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    with warnings.catch_warnings():
        # Alembic cannot compare expression indexes (lower(username)) and says so; not a difference.
        warnings.simplefilter("ignore")
        return compare_metadata(context, metadata)


async def test_each_migration_upgrades_downgrades_and_upgrades_again(empty_database: str) -> None:
    revisions = _revisions_oldest_first()
    assert revisions, "no migrations found"
    for script in revisions:
        upgrade(empty_database, script.revision)
        after_upgrade = await _inspect(empty_database, _tables)
        downgrade(empty_database, script.down_revision or "base")
        upgrade(empty_database, script.revision)
        assert await _inspect(empty_database, _tables) == after_upgrade, script.revision

    downgrade(empty_database, "base")
    assert await _inspect(empty_database, _tables) == set()
    upgrade(empty_database, "head")
    assert await _inspect(empty_database, _tables) == {table.name for table in metadata.sorted_tables}
    assert await _inspect(empty_database, _differences) == []
