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
  statements, COMMIT, each a round trip, except what the unit hands to ``before_commit`` (its audit
  events): that goes in the COMMIT's round trip (below). A unit whose one write and its event are a
  single statement (a dated booking: booking_statement.py) runs it ``alone``, with no BEGIN or
  COMMIT, settled by the row it writes when its connection is lost.

**Statements in the COMMIT's round trip (PostgreSQL).** A change's audit event must be in the
change's transaction, and its INSERT depends on nothing the unit reads back: sent as a statement of
its own it cost a round trip more than the change without it (BEGIN, INSERT, event, COMMIT against
BEGIN, INSERT, COMMIT). asyncpg cannot pipeline a parameterised statement with the COMMIT, but
PostgreSQL's simple query protocol runs the statements of one query string in turn. So such a
statement is handed over with its one text argument (``before_commit``; the audit events as one
JSON document, adapters/sqlalchemy/audit.py), and the COMMIT is sent as
``EXECUTE <name>(<argument>); COMMIT``:

- the argument is written as a dollar-quoted literal, whose text has no escapes and ends only at its
  tag: a random tag the argument does not contain (made anew until it does not; ``_dollar_quoted``)
  keeps any argument a value;
- the statement is PREPAREd once per connection, in the same query string the first time
  (``PREPARE <name>(text) AS ...; EXECUTE ...; COMMIT``): planned on every call, its CTE over
  ``jsonb_array_elements`` cost the server more than the round trip saved. A prepared statement
  outlives a failed transaction, so a connection is taken to hold one only once a query string that
  prepared it succeeded, and each PREPARE uses a name never used before: one that failed halfway
  can never make a later PREPARE clash. A connection asyncpg does not let us know by its own object
  (``_raw``) gets the statement unprepared, planned each time. (A pooler between the service and
  PostgreSQL must keep each client on its server session, as asyncpg's own prepared statements
  already require: PgBouncer's transaction mode would not.)

What may happen, and what the caller is told (commit_outcome.py, lost_commits.py, unchanged):

- a statement before the COMMIT fails (an event the store refuses): PostgreSQL skips the rest of
  the string, so the COMMIT never runs, and the session says it is still in a (failed) transaction
  block. That answer is certain: the unit is rolled back and its caller gets the error.
- the COMMIT fails with an error PostgreSQL answered: as for a plain COMMIT (``rolled_back_for_sure``).
- the connection is lost while the string is on its way: a loss during the COMMIT, settled by the
  transaction id the unit's writes returned (``settle``), exactly as for a plain COMMIT; the
  statements and the COMMIT are one transaction, so they committed together or not at all.
"""

from __future__ import annotations

import itertools
import secrets
import sqlite3
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect

from hospital.adapters.sqlalchemy import pool_lease
from hospital.adapters.sqlalchemy.commit_outcome import outcome_of, rolled_back_for_sure
from hospital.adapters.sqlalchemy.database_errors import is_connection_fault
from hospital.adapters.sqlalchemy.direct_reads import (
    AsyncpgDirectReader,
    StatementListener,
    discard,
)
from hospital.adapters.sqlalchemy.engine import SQLITE_BEGIN
from hospital.adapters.sqlalchemy.lost_commits import (
    BACKEND_SQL,
    TRANSACTION_ID,
    Phase,
    XactStatus,
    conclude,
    decide,
    settle,
    settle_by_row,
)
from hospital.adapters.sqlalchemy.sqlite_writer import LoopSqliteConnection, SqliteWriter

T = TypeVar("T")

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

    def insert_at_commit(self, statements: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None:
        """Each statement once per row of plain values (the driver's own SQL and values, without a
        statement's parameter conversion per row), run with the other units' of the group just
        before the COMMIT that holds this unit (sqlite_writer.py's ``insert_at_commit``): for rows
        nothing reads before they are committed (a unit's audit events). The listeners are told
        them now, as the unit's."""
        connection, listeners = self._connection, self._listeners
        for sql, rows in statements:
            if listeners:  # only the statement-count tests listen
                for _ in rows:
                    for listener in listeners:
                        listener(sql)
            connection.insert_at_commit(sql, rows)

    async def run_on_thread(self, function: Callable[..., T], *args: Any) -> T:
        """``function(the writer's sqlite3 connection, *args)`` in this transaction, on the writer's
        thread (``LoopSqliteConnection.run_on_thread``): a batch of buffered audit events, hundreds
        of rows, would stall every request meanwhile on the loop's."""
        return await self._connection.run_on_thread(function, self._connection.writer.sqlite, *args)

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
            connection = await pool_lease.acquire(pool)
            try:
                # Not asyncpg's Transaction: its COMMIT is sent by this module, with the statements
                # that ride in its round trip.
                await connection.execute(_BEGIN)
            except BaseException as error:
                fault = isinstance(error, Exception) and is_connection_fault(error)
                if fault:
                    # The server ended it, and probably its siblings (a restart, a failover): the
                    # pool replaces them all, and BEGIN runs again on a new one.
                    discard(connection)
                    await pool.expire_connections()
                await pool_lease.release(pool, connection)
                if fault and not retry:
                    continue  # nothing began
                raise
            return _AsyncpgTransaction(pool, connection, self.listeners, self._reader.new_connection)
        raise AssertionError("unreachable")

    async def alone(self, sql: str, values: Sequence[Any], probe: str, key: object) -> tuple[list[Any], bool]:
        """The rows of one statement run in its own implicit transaction (no BEGIN, no COMMIT: one
        round trip), a write that commits as it ends (booking_statement.py). Its outcome, as a
        COMMIT's: an error PostgreSQL answered, not committed; the connection lost while it was on
        its way, settled by ``probe`` of ``key`` (``lost_commits.settle_by_row``), whose row, the one
        the statement wrote, stands for its answer when it committed. Returns the rows, and whether
        they are that settlement's. Run it under ``outcome_of``."""
        pool = await self._reader.pool()
        connection = await pool_lease.acquire(pool)
        try:
            if connection.is_closed():
                discard(connection)  # nothing was sent: certainly not committed
                conclude(decide(Phase.BEFORE_COMMIT, None))
            backend = await _backend(connection)
            for listener in self.listeners:
                listener(sql)
            try:
                return await connection.fetch(sql, *values), False
            except Exception as error:
                if not is_connection_fault(error) and _answered(error):
                    raise  # PostgreSQL ended the statement's transaction with this error
                discard(connection)
                verdict, row = await settle_by_row(backend, probe, key, self._reader.new_connection)
                conclude(verdict, error)
                return [row], True
        finally:
            try:
                await pool_lease.release(pool, connection)
            except Exception:
                discard(connection)

    async def close(self) -> None:
        """The pool is the reader's, closed with it."""


# Each connection's backend (process id, start), by its asyncpg connection object: asked once.
_BACKENDS: weakref.WeakKeyDictionary[Any, tuple[int, Any]] = weakref.WeakKeyDictionary()


async def _backend(connection: Any) -> tuple[int, Any]:
    """The connection's server process, as ``settle_by_row`` names it; asked on its first statement
    run alone (a round trip once per connection). Lost meanwhile: nothing was sent, run again."""
    raw = _raw(connection)
    known = _BACKENDS.get(raw) if raw is not None else None
    if known is not None:
        return known
    try:
        row = await connection.fetchrow(BACKEND_SQL)
    except Exception as error:
        if is_connection_fault(error):
            discard(connection)
            conclude(decide(Phase.BEFORE_COMMIT, None), error)
        raise
    backend = (row[0], row[1])
    if raw is not None:
        _BACKENDS[raw] = backend
    return backend


def _answered(error: Exception) -> bool:
    import asyncpg

    return isinstance(error, asyncpg.PostgresError)


_BEGIN, _COMMIT, _ROLLBACK = "BEGIN", "COMMIT", "ROLLBACK"


class _AsyncpgTransaction:
    """Its transaction id is learned from its writes: a statement that returns a ``transaction_id``
    column (lost_commits.py) tells it, at no extra round trip; a COMMIT lost on its way is then
    settled by asking PostgreSQL what became of that transaction. Statements handed to
    ``before_commit`` are sent with the COMMIT, in one query string (the module's docstring)."""

    dialect: Dialect = AsyncpgTransactions.dialect

    def __init__(self, pool: Any, connection: Any, listeners: list[StatementListener],
                 new_connection: Callable[[], Awaitable[Any]]) -> None:
        self._pool, self._connection = pool, connection
        self._listeners, self._new_connection = listeners, new_connection
        self._transaction_id: int | XactStatus = XactStatus.UNAVAILABLE  # not learned yet
        self._before_commit: list[tuple[str, str]] = []

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

    async def before_commit(self, statement: str, argument: str) -> None:
        """``statement`` (one text parameter, ``$1``; no rows wanted) runs with ``argument`` in this
        transaction, in its COMMIT's round trip; if it fails, the transaction is not committed.
        (PostgreSQL's only: on SQLite a statement costs no round trip, and runs at once.)"""
        for listener in self._listeners:
            listener(statement)
        self._before_commit.append((statement, argument))

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
        pending, self._before_commit = self._before_commit, []
        query, prepared = _commit_query(self._connection, pending)
        try:
            # One query string, one round trip: PostgreSQL runs its statements in turn, and stops at
            # the first that fails.
            await self._connection.execute(query)
            _PREPARED.update(prepared)
        except Exception as error:
            if is_connection_fault(error):
                discard(self._connection)
            elif self._still_in_transaction(error):
                # A statement before the COMMIT failed, so the COMMIT never ran: certainly not
                # committed, and the transaction is ended here.
                await self._end_failed_transaction()
                raise
            if rolled_back_for_sure(error):
                raise
            conclude(await settle(self._transaction_id, self._new_connection), error)

    def _still_in_transaction(self, error: Exception) -> bool:
        """Whether PostgreSQL answered the COMMIT's query string with an error and then said its
        session is still in a transaction block (its ReadyForQuery, read before asyncpg raises): the
        COMMIT did not run. Only for an answer from the server: after a lost connection the status
        asyncpg holds is the one before the COMMIT was sent."""
        import asyncpg

        return (isinstance(error, asyncpg.PostgresError) and not self._connection.is_closed()
                and self._connection.is_in_transaction())

    async def _end_failed_transaction(self) -> None:
        try:
            await self._connection.execute(_ROLLBACK)
        except Exception:
            discard(self._connection)  # the pool's reset, or a new connection, ends it as surely

    async def rollback(self) -> None:
        self._before_commit = []
        try:
            await self._connection.execute(_ROLLBACK)
        finally:
            await self._give_back()

    async def _give_back(self) -> None:
        """The connection back to the pool. The transaction is over by then: a failure here (the
        server ended the session just after the COMMIT, and closing it, or resetting it, failed)
        changes nothing of its outcome, and must not be taken for a failed unit, which would run
        again and do its work twice. asyncpg has closed such a connection; the pool opens another."""
        try:
            await pool_lease.release(self._pool, self._connection)
        except Exception:
            discard(self._connection)


# The statements each connection has prepared, by its asyncpg connection object (one per server
# session: the entry goes with it), as statement text -> prepared name.
_PREPARED: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()
_PREPARED_NAMES = itertools.count(1)


def _raw(connection: Any) -> Any:
    """The asyncpg connection behind a pool's proxy (a new proxy each time it is acquired), or None."""
    import asyncpg

    raw = getattr(connection, "_con", None)
    return raw if isinstance(raw, asyncpg.Connection) else None


def _commit_query(connection: Any, pending: list[tuple[str, str]]) -> tuple[str, dict[Any, dict[str, str]]]:
    """The query string that runs ``pending`` (statement, argument) in turn and then COMMITs, and the
    statements it prepares on the connection, to record once it succeeded (the module's docstring)."""
    raw = _raw(connection)
    known = _PREPARED.get(raw, {}) if raw is not None else {}
    preparing: dict[str, str] = {}
    parts = []
    for statement, argument in pending:
        literal = _dollar_quoted(argument)
        if raw is None:
            parts.append(statement.replace("$1", literal))  # planned each time: one text parameter, $1
            continue
        name = known.get(statement) or preparing.get(statement)
        if name is None:
            name = preparing[statement] = f"hospital_before_commit_{next(_PREPARED_NAMES)}"
            parts.append(f"PREPARE {name}(text) AS {statement}")
        parts.append(f"EXECUTE {name}({literal})")
    parts.append(_COMMIT)
    return "; ".join(parts), ({raw: {**known, **preparing}} if preparing else {})


def _dollar_quoted(text: str) -> str:
    """``text`` as a dollar-quoted literal. Its tag, less the closing ``$``, is nowhere in the text:
    then the text cannot hold the tag, nor end with the start of one that the closing tag completes."""
    opening = f"$q{secrets.token_hex(4)}"
    while opening in text:
        opening = f"$q{secrets.token_hex(4)}"
    return f"{opening}${text}{opening}$"


def driver_transactions_for(writer: SqliteWriter | None, reader: object) -> DriverTransactions | None:
    """Driver transactions where a driver of ours is there to run them: the SQLite file's writer, or
    the PostgreSQL reader's asyncpg pool; None otherwise (in-memory SQLite, other drivers), and the
    units of work write through their session."""
    if writer is not None:
        return SqliteWriterTransactions(writer)
    if isinstance(reader, AsyncpgDirectReader):
        return AsyncpgTransactions(reader)
    return None
