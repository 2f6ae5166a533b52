"""Engines and sessions, with the connection settings each database needs."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy import event, exc, pool
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from hospital.adapters.sqlalchemy.database_errors import is_connection_fault
from hospital.adapters.sqlalchemy.search import SQLITE_UNICODE_LOWER, python_lower
from hospital.adapters.sqlalchemy.sqlite_writer import LoopSqliteConnection, SqliteWriter

BUSY_TIMEOUT_SECONDS = 10

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
    # An acknowledged write must survive a power cut, not only a process crash.
    "PRAGMA synchronous=FULL",
    # Each unit of a group commit is a SAVEPOINT, and SQLite keeps the original of every page a unit
    # changes in a sub-journal for the whole transaction; past 64 KiB (a few audited bookings) it went
    # to a new temporary file per group: ~12x the pwrite calls of a booking (bench/findings.md,
    # sqlitewal). Nothing in it outlives the transaction, so memory loses no durability.
    "PRAGMA temp_store=MEMORY",
)
SQLITE_BEGIN = "BEGIN IMMEDIATE"
# How long a request waits for a PostgreSQL server that does not answer before it gets a 503.
CONNECT_TIMEOUT_SECONDS = 5
POOL_TIMEOUT_SECONDS = 5
# A pooled PostgreSQL connection is pinged before use only after this long unused: a server restart
# or failover drops idle connections, and a connection in constant use is proven by its last use.
IDLE_BEFORE_PING_SECONDS = 1.0


def _configure_connection(connection: sqlite3.Connection) -> None:
    """The SQLite writer's connection (sqlite_writer.py), as the hook below configures the others."""
    for pragma in SQLITE_PRAGMAS:
        connection.execute(pragma)
    connection.create_function(SQLITE_UNICODE_LOWER, 1, python_lower, deterministic=True)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        if isinstance(dbapi_connection.driver_connection, LoopSqliteConnection):
            return  # a view of the writer, configured once when it opened
        # The driver's own implicit BEGIN is deferred: a transaction that reads first and writes
        # later then fails with "database is locked" when another writer got there in between, and
        # waiting (busy_timeout) cannot help. Switching it off lets the "begin" hook below decide.
        if dbapi_connection.isolation_level is not None:
            dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()
        dbapi_connection.create_function(SQLITE_UNICODE_LOWER, 1, python_lower, deterministic=True)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Every transaction takes the write lock up front (waiting up to busy_timeout for it), so
        # concurrent writers queue instead of failing. Read-only transactions queue too: the unit
        # of work cannot tell them apart, and each holds the lock for well under a millisecond
        # (docs/deployment.md has the measurements). Connections outside this engine (a backup,
        # the sqlite3 shell) still read without waiting, as WAL allows.
        connection.exec_driver_sql(SQLITE_BEGIN)


def sqlite_writer_for(url: str) -> SqliteWriter | None:
    """The process's one writer connection (sqlite_writer.py) for a SQLite file; None for anything else.

    Every transaction takes SQLite's one write lock at BEGIN, so the writers of a process can only
    take turns; they do so on one connection, first come first served and committed in groups,
    instead of sleeping in SQLite's busy handler (p99 over a second at 16 concurrent bookings).
    Other processes still wait in the busy handler.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:") \
            or parsed.query.get("mode") == "memory":
        return None
    uri = str(parsed.query.get("uri", "")).lower() in ("true", "1")
    return SqliteWriter(parsed.database, uri=uri, busy_seconds=BUSY_TIMEOUT_SECONDS, configure=_configure_connection)


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False, null_pool: bool = False,
                  sqlite_writer: SqliteWriter | None = None) -> AsyncEngine:
    """The engine for ``url``. ``null_pool`` opens a connection per use (migrations, one-off commands).
    On a SQLite file the pool's connections are views of ``sqlite_writer`` (made here if not given),
    as many as there are callers; give the one the process's driver transactions use."""
    parsed = make_url(url)
    # Statement parameters (password hashes, token ids) must never reach a log line or an error page.
    common: dict[str, Any] = {"echo": echo, "hide_parameters": True}
    if null_pool:
        common["poolclass"] = pool.NullPool
    if parsed.get_backend_name() == "sqlite":
        writer = None if null_pool else sqlite_writer or sqlite_writer_for(url)
        if writer is not None:
            async def connect() -> LoopSqliteConnection:
                return LoopSqliteConnection(writer)

            common.update(pool_size=16, max_overflow=-1, async_creator=connect)
        engine = create_async_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS}, **common)
        _configure_sqlite(engine)
        return engine
    if not null_pool:
        common.update(pool_size=pool_size, max_overflow=pool_size, pool_timeout=POOL_TIMEOUT_SECONDS)
    engine = create_async_engine(url, connect_args={"timeout": CONNECT_TIMEOUT_SECONDS}, **common)
    if not null_pool:
        ping_connections_idle_for(engine, IDLE_BEFORE_PING_SECONDS)
    _count_asyncpg_faults_as_disconnects(engine)
    return engine


def _count_asyncpg_faults_as_disconnects(engine: AsyncEngine) -> None:
    """asyncpg's client-side errors on a connection the server ended ("cannot switch to state 12"
    while its protocol still digests the server's last words) are disconnects too: the connection
    is invalidated, and with it every pooled connection older than the failure, so the pool
    replaces the ones that went with it (pg_terminate_backend ends them all at once) instead of
    handing each out to fail once."""

    @event.listens_for(engine.sync_engine, "handle_error")
    def _disconnected(context: Any) -> None:
        if not context.is_disconnect and is_connection_fault(context.original_exception):
            context.is_disconnect = True


def ping_connections_idle_for(engine: AsyncEngine, seconds: float) -> None:
    """A connection the server dropped (restart, failover) is replaced, not handed out.

    SQLAlchemy's ``pool_pre_ping`` checks every checkout, and on asyncpg its ping is three round trips
    (BEGIN, an empty query, ROLLBACK): under load that was three of a booking's eight. A connection
    that was given back less than ``seconds`` ago has just worked; one that failed in between was
    invalidated by the error, and the pool then replaces every connection older than the failure.
    """
    returned_at = "hospital_returned_at"

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[returned_at] = time.monotonic()

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def _check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if _closed_by_the_server(dbapi_connection):
            raise exc.DisconnectionError("the server closed this connection")
        # ``info`` starts empty for each new DBAPI connection: a fresh connection needs no ping.
        last_use = record.info.get(returned_at)
        if last_use is None or time.monotonic() - last_use < seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool discards this connection and checks out another (a new one if need be).
            raise exc.DisconnectionError(str(error)) from error


def _closed_by_the_server(dbapi_connection: Any) -> bool:
    """Whether asyncpg already saw the connection's end (no round trip: the server's goodbye was read)."""
    is_closed = getattr(getattr(dbapi_connection, "driver_connection", None), "is_closed", None)
    return bool(is_closed()) if callable(is_closed) else False


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # Entities stay usable after commit: use cases return them to the caller.
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
