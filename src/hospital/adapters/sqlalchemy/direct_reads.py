"""SQLite read queries run on the event loop's own thread, on one read-only connection per process.

Through aiosqlite every statement is a round trip to a driver thread, and every transaction takes the
write lock (engine.py): a page of ten doctors spent about 2.5 ms in that machinery for 0.5 ms of
SQL, and throughput was a thirtieth of the stack's limit (docs/benchmarks.md). The read ports
(doctors, appointments, reviews, patients) instead run their statements here: the plain sqlite3
driver, called directly. In WAL mode a reader neither waits for the writer nor holds it up.

Each statement is its own read transaction (autocommit), which is what PostgreSQL's default READ
COMMITTED gives the same queries: a count and its page may straddle a concurrent commit.

A unit of work whose session has begun a transaction (it wrote, or read through the ORM) keeps
using that session for its reads, so it sees its own uncommitted writes; after a commit the
direct connection sees them too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, Executable, create_engine, event, pool
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from hospital.adapters.sqlalchemy.search import SQLITE_UNICODE_LOWER, python_lower

BUSY_TIMEOUT_MS = 10000


class SqliteDirectReader:
    def __init__(self, url: str) -> None:
        parsed = make_url(url).set(drivername="sqlite")
        # One connection, used only from the event loop's thread, one statement at a time.
        self._engine = create_engine(parsed, poolclass=pool.StaticPool, hide_parameters=True,
                                     connect_args={"check_same_thread": False})

        @event.listens_for(self._engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            # A reader never writes: a statement that tries fails instead of taking the write lock.
            for pragma in ("PRAGMA query_only=ON", f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}"):
                cursor.execute(pragma)
            cursor.close()
            dbapi_connection.create_function(SQLITE_UNICODE_LOWER, 1, python_lower, deterministic=True)

        self._connection: Connection | None = None

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def connection(self) -> Connection:
        if self._connection is None or self._connection.closed:
            self._connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._engine.dispose()


def direct_reader_for(url: str) -> SqliteDirectReader | None:
    """A direct reader for a SQLite file; None for other databases and in-memory SQLite (a second
    connection would see another, empty, database)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if "mode=memory" in str(parsed):
        return None
    return SqliteDirectReader(url)


class ReadSession:
    """What the read queries need of a session (``execute``, ``scalar``), answered by the direct
    reader unless the unit of work's session is already in a transaction."""

    def __init__(self, session: AsyncSession, reader: SqliteDirectReader) -> None:
        self._session, self._reader = session, reader

    async def execute(self, statement: Executable, parameters: dict | None = None) -> Any:
        if self._session.in_transaction():
            return await self._session.execute(statement, parameters)
        return self._reader.connection.execute(statement, parameters)

    async def scalar(self, statement: Executable, parameters: dict | None = None) -> Any:
        if self._session.in_transaction():
            return await self._session.scalar(statement, parameters)
        return self._reader.connection.scalar(statement, parameters)
