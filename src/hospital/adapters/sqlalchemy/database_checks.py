"""What an operator got wrong about the database, in one line that says how to fix it.

``url_problem`` reads HOSPITAL_DATABASE_URL without connecting: a malformed URL, a synchronous
driver (with the URL to use instead), a database this service does not support.
``connection_problem`` connects once, with a short timeout: a server that does not answer, a
database that does not exist, credentials refused, a schema that is not at the migrations' head.
The `hospital` command asks both before it serves or writes, so that a mistake is one line at
start and not a traceback, a restart loop or a 500 on every request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import pool, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

SETTING = "HOSPITAL_DATABASE_URL"
EXAMPLES = "sqlite+aiosqlite:///./hospital.sqlite3 or postgresql+asyncpg://user@host:5432/hospital"
# The drivers this service runs on, per backend; the other drivers SQLAlchemy knows are synchronous.
ASYNC_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}
CHECK_TIMEOUT_SECONDS = 10
# SQLSTATEs that mean "you may not", not "it is not there".
_ACCESS_REFUSED = {"28000", "28P01", "42501"}


def _shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _parsed(database_url: str) -> URL | str:
    try:
        url = make_url(database_url)
    except (ArgumentError, ValueError):
        return (f"{SETTING}: {database_url!r} is not a database URL "
                f"(expected e.g. {EXAMPLES}).")
    # SQLAlchemy still knows PostgreSQL's short scheme; it names no dialect of its own any more.
    if url.drivername == "postgres":
        return _sync_driver(url, "postgresql")
    backend, driver = url.get_backend_name(), url.get_driver_name()
    if backend not in ASYNC_DRIVERS:
        return f"{SETTING}: {backend!r} databases are not supported (expected e.g. {EXAMPLES})."
    if driver != ASYNC_DRIVERS[backend]:
        return _sync_driver(url, backend)
    return url


def _sync_driver(url: URL, backend: str) -> str:
    fixed = url.set(drivername=f"{backend}+{ASYNC_DRIVERS[backend]}")
    return (f"{SETTING}: {_shown(url)!r} names a synchronous driver; this service needs an async one: "
            f"use {_shown(fixed)!r} instead.")


def url_problem(database_url: str) -> str | None:
    """Why ``database_url`` cannot be used at all, or None."""
    parsed = _parsed(database_url)
    return parsed if isinstance(parsed, str) else None


def _sqlite_file(url: URL) -> Path | None:
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:") \
            or url.query.get("mode") == "memory" or str(url.database).startswith("file:"):
        return None
    return Path(url.database)


def _where(url: URL) -> str:
    return f"{url.host or 'localhost'}:{url.port or 5432}"


def _unreachable(url: URL, error: BaseException) -> str:
    original = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    sqlstate = getattr(original, "sqlstate", "") or ""
    if isinstance(original, ConnectionRefusedError):
        reason = "connection refused"
    else:
        reason = str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    if url.get_backend_name() == "sqlite":
        return f"{SETTING}: cannot open the SQLite database {url.database!r} ({reason})."
    if sqlstate == "3D000":
        return (f"{SETTING}: the PostgreSQL database {url.database!r} does not exist on {_where(url)}: "
                f"create it (createdb {url.database}), then run `hospital migrate`.")
    if sqlstate in _ACCESS_REFUSED:
        return (f"{SETTING}: PostgreSQL at {_where(url)} refused the connection ({reason}): correct the user "
                "or password.")
    return (f"{SETTING}: cannot connect to PostgreSQL at {_where(url)} ({reason}): start the database "
            "server or correct the URL.")


async def connection_problem(database_url: str, expected_heads: Callable[[], frozenset[str]], *,
                             needs_schema: bool = True, seconds: float = CHECK_TIMEOUT_SECONDS) -> str | None:
    """Why the service cannot use the database right now, or None.

    With ``needs_schema`` (serving, creating users) the schema must be at the migrations' head,
    and a SQLite file must already exist: connecting would create an empty one. Without it
    (migrating) it is enough that the database answers.
    """
    parsed = _parsed(database_url)
    if isinstance(parsed, str):
        return parsed
    url = parsed
    file = _sqlite_file(url)
    if file is not None:
        if needs_schema and not file.exists():
            return f"{SETTING}: the SQLite database {str(file)!r} does not exist: run `hospital migrate` first."
        if not file.parent.exists():
            return f"{SETTING}: the folder {str(file.parent)!r} of the SQLite database does not exist: create it."
    connect_args = {"timeout": seconds} if url.get_backend_name() == "postgresql" else {}
    engine = create_async_engine(url, poolclass=pool.NullPool, connect_args=connect_args)
    try:
        async with asyncio.timeout(seconds), engine.connect() as connection:
            if not needs_schema:
                return None
            try:
                rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
                current = frozenset(rows.scalars())
            except SQLAlchemyError:
                current = frozenset()
    except TimeoutError:
        return (f"{SETTING}: the database at {_where(url)} did not answer within {seconds:g} s: "
                "check that it is up and reachable.")
    except (SQLAlchemyError, OSError) as error:
        return _unreachable(url, error)
    finally:
        await engine.dispose()
    expected = expected_heads()
    if not current:
        return f"{SETTING}: the database {_shown(url)!r} is not migrated: run `hospital migrate`."
    if current != expected:
        return (f"{SETTING}: the database schema is at revision {', '.join(sorted(current))} and this "
                f"version expects {', '.join(sorted(expected))}: run `hospital migrate`.")
    return None
