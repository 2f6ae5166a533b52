"""Where read queries run: straight on the database driver, outside the ORM session when it can.

- SQLite file: one read-only ``sqlite3`` connection per process, called on the event loop's own
  thread. Through aiosqlite every statement was a round trip to a driver thread and every
  transaction took the write lock (engine.py); in WAL mode a reader neither waits for the writer
  nor holds it up.
- PostgreSQL: an asyncpg pool of its own, statements prepared once per connection by asyncpg's
  cache; no BEGIN/ROLLBACK round trips and no SQLAlchemy pool events around a read.

Each statement is its own read transaction (autocommit), which is what PostgreSQL's default READ
COMMITTED gives the same queries: a count and its page may straddle a concurrent commit.

A unit of work whose session is in a transaction (it wrote, or read through the ORM) runs its
reads through that session instead, so it sees its own uncommitted writes. In-memory SQLite has no
second connection to read from, so there every read goes through the session.

Every reader tells ``listeners`` each statement it runs (the statement-count tests listen).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncSession

from hospital.adapters.sqlalchemy.database_errors import is_connection_fault
from hospital.adapters.sqlalchemy.prepared import PreparedQuery
from hospital.adapters.sqlalchemy.search import SQLITE_UNICODE_LOWER, python_lower
from hospital.adapters.sqlalchemy.shared_reads import SharedRead
from hospital.application.pagination import PageRequest

BUSY_TIMEOUT_MS = 10000
CONNECT_TIMEOUT_SECONDS = 5
POOL_TIMEOUT_SECONDS = 5

StatementListener = Callable[[str], None]


class DirectReader(Protocol):
    listeners: list[StatementListener]

    async def rows(self, query: PreparedQuery, parameters: Mapping[str, Any] | None = None) -> list[Any]: ...

    async def shared_rows(self, query: PreparedQuery) -> list[Any]:
        """``rows`` of a query without parameters, possibly shared with concurrent callers, but
        from a statement that began after this call (shared_reads.py)."""
        ...

    async def close(self) -> None: ...


class SqliteDirectReader:
    dialect: Dialect = sqlite.pysqlite.dialect()

    def __init__(self, database: str, *, uri: bool = False) -> None:
        self._database, self._uri = database, uri
        self._connection: sqlite3.Connection | None = None
        self.listeners: list[StatementListener] = []

    @property
    def connection(self) -> sqlite3.Connection:
        if self._connection is None:
            # Used only from the event loop's thread, one statement at a time.
            connection = sqlite3.connect(self._database, uri=self._uri, isolation_level=None,
                                         check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
            # A reader never writes: a statement that tries fails instead of taking the write lock.
            connection.execute("PRAGMA query_only=ON")
            connection.create_function(SQLITE_UNICODE_LOWER, 1, python_lower, deterministic=True)
            self._connection = connection
        return self._connection

    async def rows(self, query: PreparedQuery, parameters: Mapping[str, Any] | None = None) -> list[Any]:
        sql, values = query.bind(self.dialect, parameters)
        for listener in self.listeners:
            listener(sql)
        return self.connection.execute(sql, values).fetchall()

    async def shared_rows(self, query: PreparedQuery) -> list[Any]:
        # A few microseconds on this thread: nothing worth sharing.
        return await self.rows(query)

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class AsyncpgDirectReader:
    dialect: Dialect = postgresql.asyncpg.dialect()

    def __init__(self, connect_arguments: dict[str, Any], *, max_size: int) -> None:
        self._connect_arguments, self._max_size = connect_arguments, max_size
        self._pool: Any = None
        self._opening: asyncio.Lock | None = None
        self._shared: dict[PreparedQuery, SharedRead[list[Any]]] = {}
        self.listeners: list[StatementListener] = []

    async def _open(self) -> Any:
        import asyncpg

        self._opening = self._opening or asyncio.Lock()
        async with self._opening:
            if self._pool is None:
                # min_size=0: nothing connects until the first read, so a server that is down at
                # start-up costs a 503 on that read (as through the engine), not a failed start.
                self._pool = await asyncpg.create_pool(
                    **self._connect_arguments, min_size=0, max_size=self._max_size,
                    timeout=CONNECT_TIMEOUT_SECONDS, reset=_nothing_to_reset,
                )
        return self._pool

    async def rows(self, query: PreparedQuery, parameters: Mapping[str, Any] | None = None) -> list[Any]:
        sql, values = query.bind(self.dialect, parameters)
        for listener in self.listeners:
            listener(sql)
        pool = await self.pool()
        for retry in (False, True):
            async with pool.acquire(timeout=POOL_TIMEOUT_SECONDS) as connection:
                try:
                    return await connection.fetch(sql, *values)
                except Exception as error:
                    if retry or not is_connection_fault(error):
                        raise
                    # The server ended this connection in the pool (a restart, a failover,
                    # pg_terminate_backend), and probably its siblings: the pool replaces them
                    # all, and a read may run again.
                    discard(connection)
                    await pool.expire_connections()
        raise AssertionError("unreachable")

    async def pool(self) -> Any:
        """The asyncpg pool, opened on first use (driver_transactions.py writes on it too)."""
        return self._pool or await self._open()

    async def new_connection(self) -> Any:
        """A connection of its own, outside the pool, to the same server (lost_commits.py asks on one
        when the pool's may all have been ended at once)."""
        import asyncpg

        return await asyncpg.connect(**self._connect_arguments, timeout=CONNECT_TIMEOUT_SECONDS)

    async def shared_rows(self, query: PreparedQuery) -> list[Any]:
        shared = self._shared.get(query)
        if shared is None:
            shared = self._shared[query] = SharedRead(lambda: self.rows(query))
        return await shared()

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()


def discard(connection: Any) -> None:
    """Close a pooled asyncpg connection the server ended, so that the pool opens another in its
    place; asyncpg may have given it back already, having seen the end itself."""
    import asyncpg

    with contextlib.suppress(asyncpg.exceptions.InterfaceError):
        connection.terminate()


async def _nothing_to_reset(_connection: Any) -> None:
    """The pool's default reset is a round trip per release (RESET ALL, UNLISTEN *, CLOSE ALL,
    advisory unlocks) for state these single read statements in autocommit never create; asyncpg
    still ends any open transaction itself before calling this."""


def direct_reader_for(url: str, pool_size: int = 10) -> DirectReader | None:
    """The direct reader for a database URL; None for in-memory SQLite (a second connection would see
    another, empty, database) and for drivers it does not know."""
    parsed = make_url(url)
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if backend == "sqlite":
        if parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory":
            return None
        uri = str(parsed.query.get("uri", "")).lower() in ("true", "1")
        return SqliteDirectReader(parsed.database, uri=uri)
    if backend == "postgresql" and driver == "asyncpg":
        _, arguments = AsyncpgDirectReader.dialect.create_connect_args(parsed)
        return AsyncpgDirectReader(arguments, max_size=pool_size)
    return None


class DriverRows(Protocol):
    """A driver transaction (driver_transactions.py), as far as reads need it."""

    dialect: Dialect

    async def rows(self, sql: str, values: Any) -> list[Any]: ...


class SessionOwner(Protocol):
    """The unit of work, which creates its session on first use."""

    @property
    def current_session(self) -> AsyncSession | None: ...

    @property
    def current_driver_transaction(self) -> DriverRows | None: ...

    @property
    def session(self) -> AsyncSession: ...


class Reads:
    """What read queries run through: the direct reader, unless the unit of work is in a transaction
    (its session's or a driver transaction), whose own writes the read must see."""

    __slots__ = ("_direct", "_owner")

    def __init__(self, owner: SessionOwner, direct: DirectReader | None) -> None:
        self._owner, self._direct = owner, direct

    async def rows(self, query: PreparedQuery, parameters: Mapping[str, Any] | None = None) -> list[Any]:
        driver = self._owner.current_driver_transaction
        if driver is not None:
            sql, values = query.bind(driver.dialect, parameters)
            return await driver.rows(sql, values)
        current = self._owner.current_session
        if self._direct is not None and (current is None or not current.in_transaction()):
            return await self._direct.rows(query, parameters)
        connection = await self._owner.session.connection()
        sql, values = query.bind(connection.dialect, parameters)
        return list((await connection.exec_driver_sql(sql, tuple(values))).all())

    async def counted_page(self, count: PreparedQuery, rows: PreparedQuery, values: Mapping[str, Any],
                           page: PageRequest) -> tuple[int, list[Any]]:
        """The total and the rows of ``page``; past the end, the rows are not even asked for."""
        total = await self.value(count, values) or 0
        if page.offset >= total:
            return total, []
        return total, await self.rows(rows, {**values, "offset": page.offset, "limit": page.limit})

    async def first(self, query: PreparedQuery, parameters: Mapping[str, Any] | None = None) -> Any:
        rows = await self.rows(query, parameters)
        return rows[0] if rows else None

    async def value(self, query: PreparedQuery, parameters: Mapping[str, Any] | None = None) -> Any:
        row = await self.first(query, parameters)
        return row[0] if row is not None else None

    async def shared_value(self, query: PreparedQuery) -> Any:
        """``value`` of a query without parameters, whose statement concurrent callers may share."""
        current = self._owner.current_session
        if self._direct is None or self._owner.current_driver_transaction is not None or (
                current is not None and current.in_transaction()):
            return await self.value(query)
        rows = await self._direct.shared_rows(query)
        return rows[0][0] if rows else None
