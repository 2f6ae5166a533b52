"""Scratch PostgreSQL databases beside the test database, for tests that drop or rebuild one."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy.engine import make_url


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(url: str, *statements: str) -> None:
    connection = await asyncpg.connect(_dsn(url), timeout=10)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def scratch_database_url(test_url: str, suffix: str) -> str:
    """The URL of ``<test database>_<suffix>`` on the same server (not created)."""
    parsed = make_url(test_url)
    return parsed.set(database=f"{parsed.database}_{suffix}").render_as_string(hide_password=False)


def recreate_database(test_url: str, url: str) -> None:
    name = make_url(url).database
    asyncio.run(_admin(test_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'))


def drop_database(test_url: str, url: str) -> None:
    """Drop it now, ending the sessions still connected to it (PostgreSQL 13+)."""
    asyncio.run(_admin(test_url, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
