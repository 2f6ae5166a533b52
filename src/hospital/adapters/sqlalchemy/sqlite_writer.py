"""The connection the units of work write a SQLite file through: statements on the event loop's own
thread, and only what can wait (taking the write lock, the commit's fsync) on a thread of its own.

Through aiosqlite each statement was three or four round trips to the driver's thread (make a
cursor, execute, fetch, close), and the engine's single write connection (engine.py) holds the
database's write lock across all of them: a booking's transaction was eight round trips long, each
one waiting for the loop to come back to it, and every other writer of the process waited behind it.
A statement of a unit of work costs SQLite microseconds once the lock is held (WAL: it never waits
for readers), less than one round trip.

What may block stays off the loop: ``BEGIN IMMEDIATE`` waits up to the busy timeout for a writer of
another process, and ``COMMIT`` is an fsync (``synchronous=FULL``). Both run on the connection's
own thread; the connection is never used by two callers at once (one pool checkout at a time), so
the sqlite3 object is only ever touched by one thread at a time.

The object speaks the subset of aiosqlite's API that SQLAlchemy's aiosqlite dialect uses, so the
dialect, its pool and the ORM work on it unchanged (``create_async_engine(async_creator=...)``).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def _waits_for_the_lock(sql: str) -> bool:
    return sql.lstrip()[:5].upper() == "BEGIN"


class _Cursor:
    __slots__ = ("_connection", "_cursor")

    def __init__(self, connection: LoopSqliteConnection) -> None:
        self._connection = connection
        self._cursor = connection.sqlite.cursor()

    async def __aenter__(self) -> _Cursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> _Cursor:
        if _waits_for_the_lock(sql):
            await self._connection.off_loop(self._cursor.execute, sql, parameters)
        else:
            self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> _Cursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class LoopSqliteConnection:
    """One sqlite3 connection in autocommit mode (the engine's "begin" hook opens each transaction)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.sqlite = connection
        self._thread: ThreadPoolExecutor | None = None
        self._closed = False

    @classmethod
    async def connect(cls, database: str, *, uri: bool = False, busy_seconds: float = 5.0) -> LoopSqliteConnection:
        connection = sqlite3.connect(database, uri=uri, timeout=busy_seconds, isolation_level=None,
                                     check_same_thread=False)
        return cls(connection)

    async def off_loop(self, function: Callable[..., T], *args: Any) -> T:
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        return await asyncio.get_running_loop().run_in_executor(self._thread, function, *args)

    # What SQLAlchemy's aiosqlite adapter reads and calls.

    @property
    def _connection(self) -> sqlite3.Connection | None:
        return None if self._closed else self.sqlite

    @property
    def isolation_level(self) -> str | None:
        return self.sqlite.isolation_level

    def cursor(self) -> _Cursor:
        return _Cursor(self)

    async def commit(self) -> None:
        if self.sqlite.in_transaction:
            await self.off_loop(self.sqlite.commit)

    async def rollback(self) -> None:
        self.sqlite.rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self.sqlite.create_function(*args, **kwargs)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if not self._closed:
            self._closed = True
            self.sqlite.close()
            if self._thread is not None:
                self._thread.shutdown(wait=False)
