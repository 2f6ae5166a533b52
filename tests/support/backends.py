"""Every backend a port's contract runs against, each built the way production builds it.

``any_container`` is parametrized over ``BACKENDS``: the in-memory container
(``bootstrap.in_memory_container``), and the container ``bootstrap.build_container`` makes for a
served process, on a migrated, empty SQLite file and, when HOSPITAL_TEST_DATABASE_URL names a
PostgreSQL server, on that database: the same engine, SQLite writer, direct reader and driver
transactions as in production (only the password hasher is a fast one). A contract test takes
``any_container`` and every implementation of the port passes it. The integration conftest
makes the fixture available to every integration test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from dependency_injector import providers

from hospital.adapters.memory.passwords import FastInsecurePasswordHasher
from hospital.bootstrap import Container, build_container, in_memory_container, shutdown
from hospital.settings import Settings
from tests.conftest import make_settings

POSTGRES_URL = os.environ.get("HOSPITAL_TEST_DATABASE_URL", "")
# In memory and SQLite always; PostgreSQL as well when a server is given.
BACKENDS = ["memory", "sqlite", *(["postgresql"] if POSTGRES_URL else [])]


def production_container(settings: Settings) -> Container:
    """``build_container``, with a fast password hasher; ``shutdown`` it after."""
    container = build_container(settings)
    container.password_hasher.override(providers.Singleton(FastInsecurePasswordHasher))
    return container


@pytest.fixture(params=BACKENDS)
async def any_container(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Container]:
    """A fresh, empty store on each backend, wired as production wires it."""
    if request.param == "memory":
        yield in_memory_container(make_settings(tmp_path))
        return
    if request.param == "sqlite":
        path = tmp_path / "contract.sqlite3"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite_template"), path)
        url = f"sqlite+aiosqlite:///{path}"
    else:
        # The session's migrated PostgreSQL database, emptied as the integration database_url fixture does.
        from tests.integration.conftest import _truncate_postgres

        url = request.getfixturevalue("migrated_postgres")
        await _truncate_postgres(url)
    container = production_container(make_settings(tmp_path, database_url=url))
    try:
        yield container
    finally:
        await shutdown(container)
