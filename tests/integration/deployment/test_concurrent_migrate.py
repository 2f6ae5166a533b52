"""`hospital migrate` run by several workers or hosts at once: one migrates, the others wait and
find nothing to do; nobody fails halfway through a table that another one just made."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from hospital.adapters.sqlalchemy.migration_scripts import head_revisions
from tests.integration.conftest import POSTGRES_URL
from tests.integration.deployment.conftest import sqlite_pass_only
from tests.support.postgres_databases import drop_database, recreate_database, scratch_database_url
from tests.support.server_process import hospital_command, server_environment

pytestmark = pytest.mark.slow

PROCESSES = 4


@pytest.fixture(params=[pytest.param("sqlite", marks=sqlite_pass_only),
                        pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    if not POSTGRES_URL:
        pytest.skip("needs HOSPITAL_TEST_DATABASE_URL (PostgreSQL)")
    url = scratch_database_url(POSTGRES_URL, "concurrent_migrate")
    recreate_database(POSTGRES_URL, url)
    yield url
    drop_database(POSTGRES_URL, url)


async def _versions(url: str) -> list[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return list((await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars())
    finally:
        await engine.dispose()


def test_several_migrate_commands_at_once_all_succeed(tmp_path: Path, fresh_database: str) -> None:
    environment = server_environment(tmp_path, fresh_database)
    processes = [
        subprocess.Popen(hospital_command("migrate"), env=environment, cwd=tmp_path, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
        for _ in range(PROCESSES)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert [process.returncode for process in processes] == [0] * PROCESSES, "\n".join(outputs)
    assert asyncio.run(_versions(fresh_database)) == sorted(head_revisions())
