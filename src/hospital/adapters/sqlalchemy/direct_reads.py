"""Where read queries run: straight on the database driver, outside the ORM session when it can.

- SQLite file: one read-only ``sqlite3`` connection per process, called on the event loop's own
  thread while a statement is quick, and a few on threads for those that are not
  (``SqliteDirectReader``). Through aiosqlite every statement was a round trip to a driver thread
  and every transaction took the write lock (engine.py); in WAL mode a reader neither waits for the
  writer nor holds it up, and never sees the writer's open group-commit transaction.
- PostgreSQL: an asyncpg pool of its own, statements prepared once per connection by asyncpg's
  cache; no BEGIN/ROLLBACK round trips and no SQLAlchemy pool events around a read.

Each statement is its own read transaction (autocommit), which is what PostgreSQL's default READ
COMMITTED gives the same queries: a count and its page may straddle a concurrent commit.

The read side (read_side.py) runs every statement here (``CommittedReads``). A unit of work whose
session is in a transaction (it wrote, or read through the ORM) runs its reads through that session
instead (``Reads``), so a command sees its own uncommitted writes. In-memory SQLite has no second
connection to read from: there the read side reads on the engine's connections (``EngineDirectReader``).

Every reader tells ``listeners`` each statement it runs (the statement-count tests listen).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hospital.adapters.sqlalchemy import pool_lease
from hospital.adapters.sqlalchemy.database_errors import is_connection_fault, raise_as_domain_error
from hospital.adapters.sqlalchemy.prepared import PreparedQuery
from hospital.adapters.sqlalchemy.search import SQLITE_UNICODE_LOWER, python_lower
from hospital.adapters.sqlalchemy.shared_reads import SharedRead
from hospital.adapters.thread_priority import lower_this_threads_priority
from hospital.application.pagination import PageRequest

BUSY_TIMEOUT_MS = 10000
# How long a read may hold the event loop before it is moved to a thread (SqliteDirectReader). A
# page of 1,000 doctors takes about 4 ms; a search that scans a big table, hundreds.
LOOP_BUDGET_SECONDS = 0.010
# SQLite virtual machine steps between two looks at the clock (a few microseconds of work).
PROGRESS_STEPS = 2000
# Threads (each with its connection) for the slow reads of a worker: few, so that scans running at
# once cannot take every core from the event loops.
SLOW_READ_THREADS = 1
# The slow-read thread yields the CPU to the event loop, as the hashing threads do (argon2_hasher.py).
SLOW_READ_NICENESS = 10
SLOW_MEMORY_SECONDS = 10.0
SLOW_MEMORY_ENTRIES = 256
CONNECT_TIMEOUT_SECONDS = 5
POOL_TIMEOUT_SECONDS = pool_lease.POOL_TIMEOUT_SECONDS

StatementListener = Callable[[str], None]


class DirectReader(Protocol):
    listeners: list[StatementListener]
    # Whether the database plans a statement with a parameterised LIMIT at each execution
    # (PreparedQuery.first_page).
    plans_each_limit: bool

    async def rows(self, query: PreparedQuery, parameters: Mapping[str, Any] | None = None) -> list[Any]: ...

    async def shared_rows(self, query: PreparedQuery) -> list[Any]:
        """``rows`` of a query without parameters, possibly shared with concurrent callers, but
        from a statement that began after this call (shared_reads.py)."""
        ...

    async def close(self) -> None: ...


class SqliteDirectReader:
    """Reads of a SQLite file: on the event loop's thread while they are quick, on a thread when not.

    Most reads take microseconds, far less than a hop to a thread, so they run on the loop's own
    read-only connection. But a read that scans (a search over 200,000 users) would hold the loop,
    and with it every other request of the worker, for as long as it runs. So each statement on the
    loop has a budget (``loop_budget_seconds``): SQLite's progress handler interrupts it once the
    budget is spent, and it runs again from the start on one of ``threads`` threads, each with a
    read-only connection of its own (SQLite releases the GIL while it works, so the loop keeps
    serving meanwhile). A statement that needed a thread goes straight to one for the next
    ``SLOW_MEMORY_SECONDS``, without spending the budget again.

    Every connection is a WAL reader outside the writer's transaction: it sees committed rows only
    and takes no lock a writer waits for (``query_only``: a statement that tries to write fails).
    """

    dialect: Dialect = sqlite.pysqlite.dialect()
    plans_each_limit = False  # SQLite keeps each prepared statement's plan

    def __init__(self, database: str, *, uri: bool = False, loop_budget_seconds: float = LOOP_BUDGET_SECONDS,
                 threads: int = SLOW_READ_THREADS) -> None:
        self._database, self._uri = database, uri
        self._budget, self._threads = loop_budget_seconds, threads
        self._connection: sqlite3.Connection | None = None
        self._deadline = math.inf
        self._interrupted = False
        self._slow: dict[str, float] = {}  # SQL text -> until when it goes straight to a thread
        self._executor: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._thread_connections: list[sqlite3.Connection] = []
        self.listeners: list[StatementListener] = []

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self._database, uri=self._uri, isolation_level=None,
                                     check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
        # A reader never writes: a statement that tries fails instead of taking the write lock.
        connection.execute("PRAGMA query_only=ON")
        connection.create_function(SQLITE_UNICODE_LOWER, 1, python_lower, deterministic=True)
        return connection

    @property
    def connection(self) -> sqlite3.Connection:
        """The loop's connection; used only from the event loop's thread, one statement at a time."""
        if self._connection is None:
            connection = self._connect()
            connection.set_progress_handler(self._over_budget, PROGRESS_STEPS)
            self._connection = connection
        return self._connection

    def _over_budget(self) -> int:
        if time.monotonic() < self._deadline:
            return 0
        self._interrupted = True
        return 1  # SQLite stops the statement: "interrupted"

    async def rows(self, query: PreparedQuery, parameters: Mapping[str, Any] | None = None) -> list[Any]:
        sql, values = query.bind(self.dialect, parameters)
        for listener in self.listeners:
            listener(sql)
        slow_until = self._slow.get(sql)
        if slow_until is None or slow_until < time.monotonic():
            connection = self.connection
            self._deadline, self._interrupted = time.monotonic() + self._budget, False
            try:
                return connection.execute(sql, values).fetchall()
            except sqlite3.OperationalError:
                if not self._interrupted:
                    raise
            finally:
                self._deadline = math.inf
            if len(self._slow) >= SLOW_MEMORY_ENTRIES:
                self._slow.clear()
            self._slow[sql] = time.monotonic() + SLOW_MEMORY_SECONDS
        return await asyncio.get_running_loop().run_in_executor(self._thread_pool(), self._on_thread, sql, values)

    def _thread_pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self._threads, thread_name_prefix="hospital-slow-read",
                                                initializer=lower_this_threads_priority,
                                                initargs=(SLOW_READ_NICENESS,))
        return self._executor

    def _on_thread(self, sql: str, values: list[Any]) -> list[Any]:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._connect()
            self._thread_connections.append(connection)
        return connection.execute(sql, values).fetchall()

    async def shared_rows(self, query: PreparedQuery) -> list[Any]:
        # A few microseconds on this thread: nothing worth sharing.
        return await self.rows(query)

    async def close(self) -> None:
        if self._executor is not None:
            executor, self._executor = self._executor, None
            await asyncio.get_running_loop().run_in_executor(None, executor.shutdown)
        for connection in self._thread_connections:
            connection.close()
        self._thread_connections.clear()
        self._local = threading.local()
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class AsyncpgDirectReader:
    dialect: Dialect = postgresql.asyncpg.dialect()
    plans_each_limit = True  # PreparedQuery.first_page

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
                    timeout=CONNECT_TIMEOUT_SECONDS, reset=pool_lease.nothing_to_reset,
                )
        return self._pool

    async def rows(self, query: PreparedQuery, parameters: Mapping[str, Any] | None = None) -> list[Any]:
        sql, values = query.bind(self.dialect, parameters)
        for listener in self.listeners:
            listener(sql)
        pool = await self.pool()
        for retry in (False, True):
            # pool_lease.py: the pool's timeout and release guarantees, without asyncpg's two tasks.
            connection = await pool_lease.acquire(pool)
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
            finally:
                await pool_lease.release(pool, connection)
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


# How long a statement on these connections waits for a row lock (driver transactions take them:
# entity_table.py reads the row it will change FOR UPDATE) before it fails with 55P03, which is a lost
# race (database_errors.py: the command runs again). Writers of one row queue behind each other for
# far less; what waits this long is a unit whose row is held by another unit of its own task, which
# would otherwise wait for ever (the holder cannot go on until the waiter returns).
LOCK_TIMEOUT_MS = 2000


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
        settings = {**arguments.get("server_settings", {}), "lock_timeout": str(LOCK_TIMEOUT_MS)}
        return AsyncpgDirectReader({**arguments, "server_settings": settings}, max_size=pool_size)
    return None


class EngineDirectReader:
    """Where no driver of ours can read (in-memory SQLite: one connection holds the database): each
    statement on a Core connection of the engine, outside any ORM session, committed data only
    (a connection of its own, as far as the engine's pool allows)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.listeners: list[StatementListener] = []
        self.plans_each_limit = engine.dialect.name == "postgresql"

    async def rows(self, query: PreparedQuery, parameters: Mapping[str, Any] | None = None) -> list[Any]:
        async with self._engine.connect() as connection:
            sql, values = query.bind(connection.dialect, parameters)
            for listener in self.listeners:
                listener(sql)
            return list((await connection.exec_driver_sql(sql, tuple(values))).all())

    async def shared_rows(self, query: PreparedQuery) -> list[Any]:
        return await self.rows(query)

    async def close(self) -> None:
        """The engine is disposed of by its owner."""


def committed_reads_for(direct: DirectReader | None, engine: AsyncEngine) -> CommittedReads:
    """The read side's runner: the direct reader, or the engine's connections where there is none."""
    return CommittedReads(direct if direct is not None else EngineDirectReader(engine))


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


class ReadRunner:
    """What the read queries (doctor_reads.py, reviews.py, ...) are written against: ``rows`` of a
    prepared query, and the shapes built on it."""

    __slots__ = ()

    async def rows(self, query: PreparedQuery, parameters: Mapping[str, Any] | None = None) -> list[Any]:
        raise NotImplementedError

    async def shared_value(self, query: PreparedQuery) -> Any:
        """``value`` of a query without parameters, whose statement concurrent callers may share."""
        return await self.value(query)

    # Whether a first page runs as its own statement with its LIMIT in the text
    # (PreparedQuery.first_page): where the database plans a parameterised LIMIT at every execution.
    numbered_first_pages = False

    async def counted_page(self, count: PreparedQuery, rows: PreparedQuery, values: Mapping[str, Any],
                           page: PageRequest) -> tuple[int, list[Any]]:
        """The total and the rows of ``page``: one statement, the page with the total on each row
        (``PreparedQuery.counting``; of a compound, on its first part's rows only). A page past the end
        has no row to carry the total: only then is the count asked for alone."""
        query = count.counting(rows)
        if page.offset == 0 and self.numbered_first_pages:
            query = query.first_page(page.limit) or query
        found = await self.rows(query, {**values, "offset": page.offset, "limit": page.limit})
        total = next((row[-1] for row in found if row[-1] is not None), None)
        if total is not None:
            return total, [row[:-1] for row in found]
        rest = [row[:-1] for row in found]  # a compound's other parts (the doctor pages' names)
        if page.offset == 0:
            return 0, rest
        return await self.value(count, values) or 0, rest

    async def first(self, query: PreparedQuery, parameters: Mapping[str, Any] | None = None) -> Any:
        rows = await self.rows(query, parameters)
        return rows[0] if rows else None

    async def value(self, query: PreparedQuery, parameters: Mapping[str, Any] | None = None) -> Any:
        row = await self.first(query, parameters)
        return row[0] if row is not None else None


class CommittedReads(ReadRunner):
    """The read side's runner (read_side.py): every statement on the direct reader, never in a
    transaction that writes, so it sees committed rows only. On SQLite the direct reader's
    connection is not the writer's: a unit released into the writer's open group (its COMMIT still
    to come) is invisible to it, and its statements take no lock a writer waits for."""

    __slots__ = ("_direct", "numbered_first_pages")

    def __init__(self, direct: DirectReader) -> None:
        self._direct = direct
        self.numbered_first_pages = direct.plans_each_limit

    async def rows(self, query: PreparedQuery, parameters: Mapping[str, Any] | None = None) -> list[Any]:
        try:
            return await self._direct.rows(query, parameters)
        except Exception as error:
            # What a database error means to the caller (a server that is down: 503), as a unit of
            # work says it: database_errors.py, the one place.
            raise_as_domain_error(error)
            raise

    async def shared_value(self, query: PreparedQuery) -> Any:
        try:
            rows = await self._direct.shared_rows(query)
        except Exception as error:
            raise_as_domain_error(error)
            raise
        return rows[0][0] if rows else None


class Reads(ReadRunner):
    """The read queries of a unit of work: the direct reader, unless the unit is in a transaction
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

    async def shared_value(self, query: PreparedQuery) -> Any:
        current = self._owner.current_session
        if self._direct is None or self._owner.current_driver_transaction is not None or (
                current is not None and current.in_transaction()):
            return await self.value(query)
        rows = await self._direct.shared_rows(query)
        return rows[0][0] if rows else None
