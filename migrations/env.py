"""Alembic environment: async engines, the database URL from HOSPITAL_DATABASE_URL or the caller."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from hospital.adapters.sqlalchemy.engine import create_engine
from hospital.adapters.sqlalchemy.tables import metadata
from hospital.adapters.sqlalchemy.types import UtcDateTime

config = context.config
DEFAULT_URL = "sqlite+aiosqlite:///./hospital.sqlite3"


def database_url() -> str:
    return (config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
            or os.environ.get("HOSPITAL_DATABASE_URL") or DEFAULT_URL)


def render_item(type_: str, obj, autogen_context):
    # Our UtcDateTime is Python-side only; the column is a plain timezone-aware DATETIME.
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


# Any constant: every `hospital migrate` of every deployment takes the same PostgreSQL advisory lock.
MIGRATION_LOCK_KEY = 7_261_004_513


def _configure(connection: Connection) -> None:
    # Batch mode lets ALTER-style changes work on SQLite by copying the table.
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                      compare_type=True, render_item=render_item)


def do_run_migrations(connection: Connection) -> None:
    if connection.in_transaction():  # a caller's connection: its transaction, its locking
        _configure(connection)
        context.run_migrations()
        return
    # All migrations in one transaction, begun with the lock that makes several `hospital migrate`
    # at once safe: the others wait, then find the version table at head and do nothing. On SQLite
    # the engine begins every transaction with BEGIN IMMEDIATE (the database's write lock), which
    # also makes its DDL transactional; on PostgreSQL a transaction-scoped advisory lock. Alembic is
    # configured inside the transaction so that it adopts it rather than committing per migration.
    with connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        _configure(connection)
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = create_engine(database_url(), null_pool=True)
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
        return
    asyncio.run(run_async_migrations())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
