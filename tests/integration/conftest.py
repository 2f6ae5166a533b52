"""Integration tests: the SQLAlchemy adapters on a real database, HTTP through the real app.

SQLite always; PostgreSQL instead when HOSPITAL_TEST_DATABASE_URL is set (CI sets it), in which
case an unreachable server is an error, never a skip.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from hospital.adapters.sqlalchemy.tables import metadata
from hospital.bootstrap import Container, shutdown
from hospital.entrypoints.http.app import create_app, serve_container
from hospital.entrypoints.migrations import upgrade
from hospital.settings import Settings
from tests.conftest import make_settings
from tests.support.backends import any_container, production_container

__all__ = ["any_container"]  # the adapters' contract tests' backends (tests/support/backends.py)

POSTGRES_URL = os.environ.get("HOSPITAL_TEST_DATABASE_URL", "")


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def migrated_postgres() -> str:
    upgrade(POSTGRES_URL)
    return POSTGRES_URL


def _emptying_script() -> str:
    # DELETE on tables this small is far quicker than TRUNCATE, which rewrites files; the
    # sequences restart so every test sees ids from 1, as on a fresh database.
    # The audit log refuses DELETE except in a transaction holding a prune permit (migration 0006).
    statements = ["INSERT INTO audit_prune_permits (id) VALUES (1)"]
    statements += [f'DELETE FROM "{table.name}"' for table in reversed(metadata.sorted_tables)
                   if table.name != "audit_prune_permits"]
    statements.append("DELETE FROM audit_prune_permits")
    for table in metadata.sorted_tables:
        if "id" in table.c and table.c.id.primary_key:
            statements.append(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), 1, false)")
    return ";\n".join(statements)


async def _truncate_postgres(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            for statement in _emptying_script().split(";\n"):
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database for this test."""
    if POSTGRES_URL:
        url = request.getfixturevalue("migrated_postgres")
        await _truncate_postgres(url)
        return url
    template = request.getfixturevalue("migrated_sqlite_template")
    path = tmp_path / "test.sqlite3"
    shutil.copyfile(template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session")
def media_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One media folder per test process, emptied for each test: the shared app serves it."""
    return tmp_path_factory.mktemp("served") / "media"


@pytest.fixture
def sql_settings(tmp_path: Path, database_url: str, media_root: Path) -> Settings:
    shutil.rmtree(media_root, ignore_errors=True)
    media_root.mkdir(parents=True)
    return make_settings(tmp_path, database_url=database_url, media_root=media_root)


@pytest.fixture(scope="session")
def shared_app(tmp_path_factory: pytest.TempPathFactory, media_root: Path) -> Litestar:
    """The app, built once per test process; each test's ``client`` gives it that test's container.

    Building it parses every route handler (a few tenths of a second), and ~800 tests use ``client``.
    Its settings are ``sql_settings``' apart from the database, as ``serve_container`` requires; a
    test that needs other settings builds its own app (tests/support/apps.py).
    """
    return create_app(production_container(make_settings(tmp_path_factory.mktemp("app"), media_root=media_root)))


@pytest.fixture
async def sql_container(sql_settings: Settings) -> AsyncIterator[Container]:
    """The production wiring on the test database, with a fast password hasher."""
    container = production_container(sql_settings)
    yield container
    await shutdown(container)


@pytest.fixture
async def client(shared_app: Litestar, sql_container: Container) -> AsyncIterator[AsyncTestClient]:
    serve_container(shared_app, sql_container)
    async with AsyncTestClient(shared_app, base_url="http://testserver.local") as test_client:
        yield test_client
