"""Units of work on each backend a repository contract runs against: in memory, SQLite, PostgreSQL.

A contract test parametrizes a fixture over ``BACKENDS`` and calls ``unit_of_work_factory``; every
implementation of a port must then pass the same test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from hospital.adapters.memory.database import InMemoryDatabase
from hospital.adapters.memory.unit_of_work import InMemoryUnitOfWork
from hospital.adapters.sqlalchemy.engine import create_engine, create_session_factory
from hospital.adapters.sqlalchemy.mapping import start_mappers
from hospital.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from hospital.application.ports.unit_of_work import UnitOfWork

POSTGRES_URL = os.environ.get("HOSPITAL_TEST_DATABASE_URL", "")
# SQLite always; PostgreSQL as well when a server is given.
BACKENDS = ["memory", "sqlite", *(["postgresql"] if POSTGRES_URL else [])]


@asynccontextmanager
async def unit_of_work_factory(backend: str, request: pytest.FixtureRequest,
                               tmp_path: Path) -> AsyncIterator[Callable[[], UnitOfWork]]:
    """A fresh, empty store on ``backend``; the SQL ones need the integration conftest's fixtures."""
    if backend == "memory":
        database = InMemoryDatabase()
        yield lambda: InMemoryUnitOfWork(database)
        return
    if backend == "sqlite":
        path = tmp_path / "contract.sqlite3"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite_template"), path)
        url = f"sqlite+aiosqlite:///{path}"
    else:
        # The session's migrated PostgreSQL database, emptied as the integration database_url fixture does.
        from tests.integration.conftest import _truncate_postgres

        url = request.getfixturevalue("migrated_postgres")
        await _truncate_postgres(url)
    start_mappers()
    engine = create_engine(url)
    session_factory = create_session_factory(engine)
    try:
        yield lambda: SqlAlchemyUnitOfWork(session_factory)
    finally:
        await engine.dispose()
