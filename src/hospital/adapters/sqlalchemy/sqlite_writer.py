"""How the units of work write a SQLite file: one sqlite3 connection per process, its statements run
on the event loop's own thread, only what can wait (taking the write lock, the commit's fsync) on a
thread of its own, and one COMMIT for all the transactions that queued up behind each other.

Through aiosqlite each statement was three or four round trips to a driver thread (make a cursor,
execute, fetch, close), and SQLite's write lock, which every transaction takes at BEGIN (engine.py),
was held across all of them while the other writers slept in SQLite's busy handler. A statement of
a unit of work costs SQLite microseconds once the lock is held (WAL: it never waits for readers).

What may block stays off the loop: ``BEGIN IMMEDIATE`` waits up to the busy timeout for a writer of
another process, and ``COMMIT`` is an fsync (``synchronous=FULL``). Both run on the writer's
thread; the transactions of the process take turns (``SqliteWriter.turn``, first come first
served), so the sqlite3 object is only ever used by one caller, on one thread, at a time.

Group commit: a unit of work may ask for its commit to be deferred (``defer_commit``). Each
transaction the engine begins is a SAVEPOINT inside one SQLite transaction; a deferred commit only
releases it, gives the turn to the next transaction waiting, and waits for the one COMMIT (one
fsync) that makes the whole group durable, which runs when the turns queued before it are done.
Each unit is still all or nothing (a refusal rolls back to its own savepoint and leaves the others'
work alone), a unit reads what the units before it in the group wrote (as it would have after their
commits), and none is acknowledged before its work is on disk. A commit that is not deferred
(anything outside the units of work) commits at once, and with it whatever the group had released.
If the COMMIT fails or the connection is lost, every unit waiting on it fails: none was acknowledged.

The pool's connections (``LoopSqliteConnection``) are views of the one writer, speaking the subset
of aiosqlite's API that SQLAlchemy's aiosqlite dialect uses, so the dialect, its pool and the ORM
work on them unchanged (``create_async_engine(async_creator=...)``).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
UNIT = "unit_of_work"


class GroupCommitLostError(sqlite3.OperationalError):
    """The transaction a deferred commit was waiting on ended without committing."""


def _waits_for_the_lock(sql: str) -> bool:
    return sql.lstrip()[:5].upper() == "BEGIN"


class SqliteWriter:
    """The process's one connection to a SQLite file, shared by the pool's connections in turn."""

    def __init__(self, database: str, *, uri: bool, busy_seconds: float,
                 configure: Callable[[sqlite3.Connection], None]) -> None:
        self._database, self._uri, self.busy_seconds = database, uri, busy_seconds
        self._configure = configure
        self.turn = asyncio.Lock()
        self._sqlite: sqlite3.Connection | None = None
        self._users = 0
        self._thread: ThreadPoolExecutor | None = None
        self._waiting: list[asyncio.Future[None]] = []
        self._commit_task: asyncio.Task[None] | None = None

    @property
    def sqlite(self) -> sqlite3.Connection:
        assert self._sqlite is not None
        return self._sqlite

    @property
    def is_open(self) -> bool:
        return self._sqlite is not None

    def open(self) -> None:
        if self._sqlite is None:
            connection = sqlite3.connect(self._database, uri=self._uri, timeout=self.busy_seconds,
                                         isolation_level=None, check_same_thread=False)
            self._configure(connection)
            self._sqlite = connection
        self._users += 1

    def leave(self) -> None:
        self._users -= 1
        if self._users <= 0 and self._sqlite is not None:
            self._lose("the connection closed before the commit")
            self._sqlite.close()
            self._sqlite = None
            if self._thread is not None:
                self._thread.shutdown(wait=False)
                self._thread = None

    async def off_loop(self, function: Callable[..., T], *args: Any) -> T:
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        return await asyncio.get_running_loop().run_in_executor(self._thread, function, *args)

    async def take_turn(self) -> None:
        try:
            async with asyncio.timeout(self.busy_seconds):
                await self.turn.acquire()
        except TimeoutError:
            # As SQLite says it when its own busy timeout runs out; the unit of work answers 503.
            raise sqlite3.OperationalError("database is locked") from None

    # --- group commit (the caller holds the turn) -----------------------------------------------

    def wait_for_commit(self, deferred: asyncio.Future[None]) -> None:
        self._waiting.append(deferred)
        if self._commit_task is None:
            self._commit_task = asyncio.get_running_loop().create_task(self._commit_in_turn())

    async def _commit_in_turn(self) -> None:
        # Queued behind the transactions already waiting for the turn: their work joins this COMMIT.
        async with self.turn:
            self._commit_task = None
            if self.is_open:
                with contextlib.suppress(Exception):  # the units waiting on it got the error
                    await self.commit_group()

    async def commit_group(self) -> None:
        """COMMIT whatever was released; settled even if the caller is cancelled meanwhile."""
        waiting, self._waiting = self._waiting, []
        if not self.sqlite.in_transaction:
            _settle(waiting, GroupCommitLostError("the transaction ended before its commit") if waiting else None)
            return
        committed = asyncio.ensure_future(self.off_loop(self.sqlite.commit))

        def settle(done: asyncio.Future[None]) -> None:
            error = GroupCommitLostError("the commit was cancelled") if done.cancelled() else done.exception()
            if error is not None and self.is_open and self.sqlite.in_transaction:
                self.sqlite.rollback()
            _settle(waiting, error)

        committed.add_done_callback(settle)
        await asyncio.shield(committed)

    @property
    def has_waiting(self) -> bool:
        return bool(self._waiting)

    def check_group(self) -> None:
        """After a failed statement: some errors (a full disk, I/O) end SQLite's whole transaction,
        and with it the work of the group."""
        if self.is_open and not self.sqlite.in_transaction:
            self._lose("the transaction was rolled back by an error")

    def _lose(self, reason: str) -> None:
        waiting, self._waiting = self._waiting, []
        _settle(waiting, GroupCommitLostError(reason) if waiting else None)


def _settle(waiting: list[asyncio.Future[None]], error: BaseException | None) -> None:
    for future in waiting:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error if isinstance(error, Exception) else GroupCommitLostError(str(error)))


class _Cursor:
    __slots__ = ("_connection", "_cursor")

    def __init__(self, connection: LoopSqliteConnection) -> None:
        self._connection = connection
        self._cursor = connection.writer.sqlite.cursor()

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
            await self._connection.begin(sql)
        else:
            await self._connection.run(self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> _Cursor:
        await self._connection.run(self._cursor.executemany, sql, parameters)
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
    """A pool connection: the writer, for one transaction at a time, in its turn."""

    def __init__(self, writer: SqliteWriter) -> None:
        writer.open()
        self.writer = writer
        self._closed = False
        self._holding = False
        self._in_unit = False
        self._deferred: asyncio.Future[None] | None = None

    def _give_turn(self) -> None:
        if self._holding:
            self._holding = False
            self.writer.turn.release()

    async def begin(self, sql: str) -> None:
        writer = self.writer
        if not self._holding:
            await writer.take_turn()
            self._holding = True
        try:
            if not writer.sqlite.in_transaction:
                await writer.off_loop(writer.sqlite.execute, sql)
            writer.sqlite.execute(f"SAVEPOINT {UNIT}")
        except BaseException:
            self._give_turn()
            raise
        self._in_unit = True

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """A statement: in this connection's transaction, or else in a turn of its own."""
        borrowed = not self._holding
        if borrowed:
            await self.writer.take_turn()
            self._holding = True
        try:
            return function(*args)
        except sqlite3.Error:
            self.writer.check_group()
            raise
        finally:
            if borrowed:
                self._give_turn()

    def defer_commit(self) -> asyncio.Future[None]:
        """The next commit() only releases this transaction; the future resolves once its work is
        durable, or fails with the COMMIT. A rollback instead cancels it."""
        self._deferred = asyncio.get_running_loop().create_future()
        return self._deferred

    # --- what SQLAlchemy's aiosqlite adapter reads and calls ---------------------------------------

    @property
    def _connection(self) -> sqlite3.Connection | None:
        return None if self._closed or not self.writer.is_open else self.writer.sqlite

    @property
    def isolation_level(self) -> str | None:
        return None

    def cursor(self) -> _Cursor:
        return _Cursor(self)

    async def commit(self) -> None:
        deferred, self._deferred = self._deferred, None
        writer = self.writer
        try:
            if self._in_unit:
                self._in_unit = False
                try:
                    writer.sqlite.execute(f"RELEASE {UNIT}")
                except sqlite3.Error:
                    writer.check_group()
                    raise
                if deferred is not None:
                    writer.wait_for_commit(deferred)
                    return
            if self._holding:
                await writer.commit_group()
        finally:
            self._give_turn()

    async def rollback(self) -> None:
        deferred, self._deferred = self._deferred, None
        if deferred is not None:
            deferred.cancel()
        writer = self.writer
        try:
            if self._in_unit:
                self._in_unit = False
                try:
                    writer.sqlite.execute(f"ROLLBACK TO {UNIT}")
                    writer.sqlite.execute(f"RELEASE {UNIT}")
                except sqlite3.Error:
                    writer.check_group()
                    raise
            # Nothing of the group waits for a commit: give the write lock back now.
            if self._holding and writer.sqlite.in_transaction and not writer.has_waiting:
                writer.sqlite.rollback()
        finally:
            self._give_turn()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        """The writer registers its functions once, when it opens."""

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if not self._closed:
            self._closed = True
            if self._in_unit and self.writer.is_open:
                # Closed mid-transaction (an invalidated connection): its work must not join the group.
                self._in_unit = False
                try:
                    self.writer.sqlite.execute(f"ROLLBACK TO {UNIT}")
                    self.writer.sqlite.execute(f"RELEASE {UNIT}")
                except sqlite3.Error:
                    self.writer.check_group()
            self._give_turn()
            self.writer.leave()
