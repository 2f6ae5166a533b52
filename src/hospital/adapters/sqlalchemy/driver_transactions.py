"""Write transactions straight on the database driver, for units of work whose writes are prepared
statements (a booking is one INSERT): no ORM session and no SQLAlchemy pool around them.

Through the session a booking's INSERT cost more event-loop time than the rest of the request:
the session, the engine's connection checkout and checkin with their events, a greenlet switch
per await, result objects (bench/findings.md has the profiles). Here a transaction is the
driver's own:

- SQLite file: a turn on the process's one writer connection (sqlite_writer.py), exactly as the
  engine's connections take it, so the two kinds of transaction queue behind each other and share
  the group commit: ``BEGIN IMMEDIATE`` if no group is open, a SAVEPOINT per unit of work, and a
  commit that returns only once the COMMIT holding it is on disk.
- PostgreSQL: a connection of the direct reader's asyncpg pool (direct_reads.py), BEGIN, the
  statements, COMMIT.

A unit of work uses one kind or the other, never both (unit_of_work.py): the session's
transaction and a driver transaction are two transactions.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect

from hospital.adapters.sqlalchemy.commit_outcome import outcome_of, rolled_back_for_sure
from hospital.adapters.sqlalchemy.database_errors import is_connection_fault
from hospital.adapters.sqlalchemy.direct_reads import (
    POOL_TIMEOUT_SECONDS,
    AsyncpgDirectReader,
    StatementListener,
    discard,
)
from hospital.adapters.sqlalchemy.engine import SQLITE_BEGIN
from hospital.adapters.sqlalchemy.lost_commits import TRANSACTION_ID, Phase, XactStatus, conclude, decide, settle
from hospital.adapters.sqlalchemy.sqlite_writer import LoopSqliteConnection, SqliteWriter


class DriverTransaction(Protocol):
    dialect: Dialect

    async def rows(self, sql: str, values: Sequence[Any]) -> list[Any]: ...

    async def commit(self) -> None:
        """Durable when it returns; the transaction is over either way. Once begun it runs to its end
        even if the caller is cancelled meanwhile, and the caller is told its outcome
        (commit_outcome.py): an error means not committed, except ``CommitOutcomeUnknownError``."""
        ...

    async def rollback(self) -> None: ...


class DriverTransactions(Protocol):
    dialect: Dialect
    listeners: list[StatementListener]

    async def begin(self) -> DriverTransaction: ...

    async def close(self) -> None: ...


class SqliteWriterTransactions:
    dialect: Dialect = sqlite.pysqlite.dialect()

    def __init__(self, writer: SqliteWriter) -> None:
        self._writer = writer
        # Held while this object lives, so the writer's connection stays open between transactions
        # even when the engine's pool holds none of its views.
        self._anchor: LoopSqliteConnection | None = None
        self.listeners: list[StatementListener] = []

    async def begin(self) -> DriverTransaction:
        if self._anchor is None:
            self._anchor = LoopSqliteConnection(self._writer)
        connection = LoopSqliteConnection(self._writer)
        try:
            await connection.begin(SQLITE_BEGIN)
        except BaseException:
            connection.stop()
            raise
        return _SqliteTransaction(connection, self.listeners)

    async def close(self) -> None:
        if self._anchor is not None:
            anchor, self._anchor = self._anchor, None
            anchor.stop()


class _SqliteTransaction:
    dialect: Dialect = SqliteWriterTransactions.dialect

    def __init__(self, connection: LoopSqliteConnection, listeners: list[StatementListener]) -> None:
        self._connection, self._listeners = connection, listeners

    async def rows(self, sql: str, values: Sequence[Any]) -> list[Any]:
        for listener in self._listeners:
            listener(sql)
        return await self._connection.run(self._fetch, sql, values)

    def _fetch(self, sql: str, values: Sequence[Any]) -> list[Any]:
        cursor: sqlite3.Cursor = self._connection.writer.sqlite.execute(sql, values)
        try:
            return cursor.fetchall()
        finally:
            cursor.close()

    async def commit(self) -> None:
        durable = self._connection.defer_commit()
        try:
            await self._connection.commit()
        finally:
            self._connection.stop()
        # Released into the group: its COMMIT decides, and the caller is told what it decided.
        await outcome_of(durable)

    async def rollback(self) -> None:
        try:
            await self._connection.rollback()
        finally:
            self._connection.stop()


class AsyncpgTransactions:
    dialect: Dialect = AsyncpgDirectReader.dialect

    def __init__(self, reader: AsyncpgDirectReader) -> None:
        self._reader = reader
        self.listeners: list[StatementListener] = []

    async def begin(self) -> DriverTransaction:
        pool = await self._reader.pool()
        for retry in (False, True):
            connection = await pool.acquire(timeout=POOL_TIMEOUT_SECONDS)
            transaction = connection.transaction()
            try:
                await transaction.start()
            except BaseException as error:
                fault = isinstance(error, Exception) and is_connection_fault(error)
                if fault:
                    # The server ended it, and probably its siblings (a restart, a failover): the
                    # pool replaces them all, and BEGIN runs again on a new one.
                    discard(connection)
                    await pool.expire_connections()
                await pool.release(connection)
                if fault and not retry:
                    continue  # nothing began
                raise
            return _AsyncpgTransaction(pool, connection, transaction, self.listeners, self._reader.new_connection)
        raise AssertionError("unreachable")

    async def close(self) -> None:
        """The pool is the reader's, closed with it."""


class _AsyncpgTransaction:
    """Its transaction id is learned from its writes: a statement that returns a ``transaction_id``
    column (lost_commits.py) tells it, at no extra round trip; a COMMIT lost on its way is then
    settled by asking PostgreSQL what became of that transaction."""

    dialect: Dialect = AsyncpgTransactions.dialect

    def __init__(self, pool: Any, connection: Any, transaction: Any, listeners: list[StatementListener],
                 new_connection: Callable[[], Awaitable[Any]]) -> None:
        self._pool, self._connection, self._transaction = pool, connection, transaction
        self._listeners, self._new_connection = listeners, new_connection
        self._transaction_id: int | XactStatus = XactStatus.UNAVAILABLE  # not learned yet

    async def rows(self, sql: str, values: Sequence[Any]) -> list[Any]:
        for listener in self._listeners:
            listener(sql)
        if self._connection.is_closed():
            # The server ended the session since this transaction's last statement (asyncpg has
            # given the connection back already): nothing of it was committed, so it may run again.
            discard(self._connection)
            conclude(decide(Phase.BEFORE_COMMIT, None))
        try:
            rows = await self._connection.fetch(sql, *values)
        except Exception as error:
            if is_connection_fault(error):
                discard(self._connection)  # the pool replaces it when it is given back
            raise
        if rows and isinstance(transaction_id := rows[-1].get(TRANSACTION_ID), int):
            self._transaction_id = transaction_id
        return rows

    async def commit(self) -> None:
        if self._connection.is_closed():
            # The server ended the session before this COMMIT could be sent (commit_outcome.py).
            discard(self._connection)
            await self._give_back()
            conclude(decide(Phase.BEFORE_COMMIT, None))
        try:
            await outcome_of(self._commit_or_settle())
        finally:
            await self._give_back()

    async def _commit_or_settle(self) -> None:
        try:
            await self._transaction.commit()
        except Exception as error:
            if is_connection_fault(error):
                discard(self._connection)
            if rolled_back_for_sure(error):
                raise
            conclude(await settle(self._transaction_id, self._new_connection), error)

    async def rollback(self) -> None:
        try:
            await self._transaction.rollback()
        finally:
            await self._give_back()

    async def _give_back(self) -> None:
        """The connection back to the pool. The transaction is over by then: a failure here (the
        server ended the session just after the COMMIT, and closing it, or resetting it, failed)
        changes nothing of its outcome, and must not be taken for a failed unit, which would run
        again and do its work twice. asyncpg has closed such a connection; the pool opens another."""
        try:
            await self._pool.release(self._connection)
        except Exception:
            discard(self._connection)


def driver_transactions_for(writer: SqliteWriter | None, reader: object) -> DriverTransactions | None:
    """Driver transactions where a driver of ours is there to run them: the SQLite file's writer, or
    the PostgreSQL reader's asyncpg pool; None otherwise (in-memory SQLite, other drivers), and the
    units of work write through their session."""
    if writer is not None:
        return SqliteWriterTransactions(writer)
    if isinstance(reader, AsyncpgDirectReader):
        return AsyncpgTransactions(reader)
    return None
