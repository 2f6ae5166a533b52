"""How the units of work write a SQLite file: one sqlite3 connection per process (``SqliteWriter``),
its statements run on the event loop's own thread, only what can wait (BEGIN IMMEDIATE, which may
wait for another process's write lock, and COMMIT's fsync) on a thread of its own, and one COMMIT
for all the units of work that queued up behind each other (group commit).

Who may use the connection when, and what each event does, is decided by a plain state machine
(group_commit.py, with its diagram and invariants in docs/architecture.md); this module performs
what it decides: it runs the statements, hands the turn to the caller the machine names, and
settles the units it returns. ``LoopSqliteConnection``, the pool's connection, is the thin layer
that speaks the subset of aiosqlite's API that SQLAlchemy's aiosqlite dialect uses, so the dialect,
its pool and the ORM work on it unchanged (``create_async_engine(async_creator=...)``); the driver
transactions (driver_transactions.py) use it too.

In short: each unit of work is a SAVEPOINT inside one SQLite transaction. A unit whose commit is
deferred (``defer_commit``) only releases its savepoint, gives the turn to the next caller in line,
and waits for the group's COMMIT, which takes its place in line behind the callers already waiting
when the group's first unit was released. Each unit is all or nothing (a refusal rolls back to its
own savepoint), reads what the units before it in the group wrote, and is acknowledged only once
the COMMIT that holds it has returned; if that COMMIT fails, or an error ends SQLite's transaction,
every unit in it fails. Once begun, a BEGIN or a COMMIT keeps the turn until it has returned from
the writer's thread, whatever happens to its caller meanwhile (commit_outcome.py).

**Rows inserted at the COMMIT** (``insert_at_commit``; a unit's audit events). A unit may hand over
rows that nothing reads before they are committed, to be inserted in its transaction just before the
COMMIT that holds the unit: once its savepoint is released they join the group's, and the COMMIT's
turn inserts all of them (multi-row INSERTs, ``_insert_and_commit``) then commits, on the writer's thread.
Inside the unit each insert cost the loop's thread its b-tree work again for every page the unit's
savepoint had to copy into the sub-journal (an audit event and its link touch seven b-trees); at the
COMMIT no savepoint is open, the group's rows share their pages, and sqlite3 lets go of the GIL
while SQLite works. What this keeps:

- a unit rolled back (to its savepoint, or with its transaction) leaves no row: its rows never left
  its connection;
- a unit never commits without its rows: they are in the same transaction, before its COMMIT; if
  inserting them fails, the COMMIT is not run, the transaction is rolled back and every unit of the
  group is told the error (as when the COMMIT itself fails);
- rows of a transaction that ended without committing are dropped with it (``_drop_rows``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
from collections.abc import Callable, Hashable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from hospital.adapters.sqlalchemy.commit_outcome import Outcome, outcome_of, to_the_end
from hospital.adapters.sqlalchemy.group_commit import (
    COMMITTER,
    LOST,
    ROLL_BACK_NOTHING,
    ROLL_BACK_SAVEPOINT,
    ROLL_BACK_TRANSACTION,
    GroupCommit,
)

T = TypeVar("T")
UNIT = "unit_of_work"
_SAVEPOINT, _RELEASE, _ROLLBACK_TO = f"SAVEPOINT {UNIT}", f"RELEASE {UNIT}", f"ROLLBACK TO {UNIT}"


class GroupCommitLostError(sqlite3.OperationalError):
    """The transaction a unit of work was released into ended without committing."""


def _waits_for_the_lock(sql: str) -> bool:
    return sql.lstrip()[:5].upper() == "BEGIN"


class SqliteWriter:
    """The process's one connection to a SQLite file, shared by the pool's connections in turn.

    Every method that takes a ``caller`` expects it to hold the turn (``take_turn``), except
    ``take_turn`` itself.
    """

    connection_class: type[sqlite3.Connection] = sqlite3.Connection  # tests swap in a faulty one

    def __init__(self, database: str, *, uri: bool, busy_seconds: float,
                 configure: Callable[[sqlite3.Connection], None]) -> None:
        self._database, self._uri, self.busy_seconds = database, uri, busy_seconds
        self._configure = configure
        self.machine = GroupCommit()
        self._sqlite: sqlite3.Connection | None = None
        self._users = 0
        self._thread: ThreadPoolExecutor | None = None
        self._turns: dict[Hashable, asyncio.Future[None]] = {}  # callers waiting in line
        self._commits: set[asyncio.Task[None]] = set()  # the group's COMMIT, while it runs
        # The released units' ``insert_at_commit`` rows, by statement, for the open transaction's COMMIT.
        self._at_commit: dict[str, list[Sequence[Any]]] = {}

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
                                         isolation_level=None, check_same_thread=False,
                                         factory=self.connection_class)
            self._configure(connection)
            self._sqlite = connection
        self._users += 1
        self.machine.opened()

    def leave(self) -> None:
        """A user is done with the writer; the last one closes it, once no COMMIT is due or running."""
        self._users -= 1
        if self._users <= 0 and self._sqlite is not None and self.machine.close():
            self._close()

    def _close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
        if self._thread is not None:
            self._thread.shutdown(wait=False)
            self._thread = None

    def _on_thread(self, function: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        return asyncio.get_running_loop().run_in_executor(self._thread, function, *args)

    # --- the turn -------------------------------------------------------------------------------------

    async def take_turn(self, caller: Hashable) -> None:
        if self.machine.ask_turn(caller):
            return
        loop = asyncio.get_running_loop()
        granted = loop.create_future()
        self._turns[caller] = granted
        # A timer that fails the wait, not asyncio.timeout (which cancels the task and turns the
        # cancellation back into an error): one handle instead of a context manager, on every wait
        # for the turn. A turn handed over before the timer fires is kept.
        expiry = loop.call_later(self.busy_seconds, _too_long, granted)
        try:
            await granted
        except BaseException:
            self._turns.pop(caller, None)
            self._hand_over(self.machine.leave_line(caller))  # passed on if it reached us meanwhile
            raise
        finally:
            expiry.cancel()

    def give_turn(self, caller: Hashable) -> None:
        self._hand_over(self.machine.give_turn(caller))

    def _hand_over(self, holder: Hashable | None) -> None:
        while holder is not None and holder is not COMMITTER:
            granted = self._turns.pop(holder)
            if not granted.done():
                granted.set_result(None)
                return
            holder = self.machine.leave_line(holder)  # cancelled meanwhile: it will not come for it
        if holder is COMMITTER:
            task = asyncio.get_running_loop().create_task(self._commit_group())
            self._commits.add(task)
            task.add_done_callback(self._commits.discard)
        elif self.machine.may_close():
            self._close()

    # --- a unit of work, in its turn -------------------------------------------------------------------

    async def begin_unit(self, caller: Hashable, begin: str) -> None:
        """BEGIN (if no transaction is open to join) and the unit's SAVEPOINT. On failure or
        cancellation the caller holds the turn with no transaction of its own left open."""
        machine = self.machine
        try:
            if machine.must_begin:
                self._at_commit = {}  # a transaction's rows never outlive it (``_drop_rows``)
                machine.begin_started(caller)
                try:
                    await to_the_end(self._on_thread(self.sqlite.execute, begin))
                finally:
                    machine.begin_ended(caller, began=self.sqlite.in_transaction)
            self.sqlite.execute(_SAVEPOINT)
        except BaseException:
            if machine.transaction and not machine.group and self.is_open:
                self.sqlite.rollback()
                machine.rolled_back(caller)
            raise
        machine.unit_opened(caller)

    def run(self, function: Callable[..., T], *args: Any) -> T:
        """A statement, by the caller holding the turn."""
        if self.machine.phase is LOST:
            raise GroupCommitLostError("the transaction was rolled back by an error")
        try:
            return function(*args)
        except sqlite3.Error:
            self._check_transaction()
            raise

    def release_unit(self, caller: Hashable, waiting: asyncio.Future[None] | None,
                     rows: dict[str, list[Sequence[Any]]] | None = None) -> None:
        """RELEASE the caller's savepoint: ``waiting`` joins the group, to be settled by its COMMIT;
        None: the caller commits at once (``commit``). ``rows``: the unit's ``insert_at_commit``
        rows, which join the group's. If the release fails the unit is rolled back."""
        try:
            if self.machine.phase is LOST:
                raise GroupCommitLostError("the transaction was rolled back by an error")
            self.sqlite.execute(_RELEASE)
        except BaseException:
            self._check_transaction()
            self.roll_back_unit(caller)
            raise
        if rows:
            at_commit = self._at_commit
            for sql, values in rows.items():
                if (group := at_commit.get(sql)) is None:
                    at_commit[sql] = values
                else:
                    group.extend(values)
        self.machine.unit_released(caller, waiting)

    def _drop_rows(self) -> None:
        """The open transaction ended without committing: its units' rows go with it."""
        self._at_commit = {}

    def roll_back_unit(self, caller: Hashable) -> None:
        """The caller's unit ends without committing: its savepoint, or the whole transaction when
        nobody else's work is in it (the write lock is then free for other processes)."""
        undo = self.machine.roll_back_unit(caller)
        if undo is ROLL_BACK_NOTHING or not self.is_open:
            return
        try:
            if undo is ROLL_BACK_SAVEPOINT:
                self.sqlite.execute(_ROLLBACK_TO)
                self.sqlite.execute(_RELEASE)
            else:
                self.sqlite.rollback()
        except sqlite3.Error:
            self._check_transaction()
            raise
        finally:
            if undo is ROLL_BACK_TRANSACTION and not self.sqlite.in_transaction:
                self._drop_rows()
                self.machine.rolled_back(caller)

    def _check_transaction(self) -> None:
        """After a failed statement: some errors (a full disk, I/O) end SQLite's whole transaction,
        and with it the work of the units released into it."""
        if self.machine.transaction and self.is_open and not self.sqlite.in_transaction:
            self._drop_rows()
            lost = self.machine.transaction_lost()
            _settle(lost, GroupCommitLostError("the transaction was rolled back by an error"))

    # --- the COMMIT ---------------------------------------------------------------------------------------

    async def commit(self, caller: Hashable) -> None:
        """COMMIT by the caller holding the turn: its own work and every unit released before it.
        Runs to its end even if the caller is cancelled meanwhile, and settles those units with its
        outcome, which is also what the caller is told."""
        self.machine.commit_started(caller)
        rows, self._at_commit = self._at_commit, {}
        failure: BaseException | None = None
        try:
            await outcome_of(self._on_thread(self._insert_and_commit, rows) if rows
                             else self._on_thread(self.sqlite.commit))
        except BaseException as error:
            failure = error
            if self.sqlite.in_transaction:
                self.sqlite.rollback()  # a COMMIT that failed leaves nothing of the group behind
            raise
        finally:
            _settle(self.machine.commit_ended(caller), failure)

    def _insert_and_commit(self, rows: dict[str, list[Sequence[Any]]]) -> None:
        """On the writer's thread: the group's ``insert_at_commit`` rows, then the COMMIT (not run
        if an insert fails: ``commit`` then rolls the transaction back).

        Each statement's rows go as multi-row INSERTs (``_rows_at_once``), not an ``executemany``:
        sqlite3 lets go of the GIL around every step, and this thread must take it back after
        each row while the loop's thread, busy with requests, holds it: up to the interpreter's
        switch interval (5 ms) per row, the loop's thread interrupted each time."""
        sqlite = self.sqlite
        for sql, values in rows.items():
            start = 0
            while start < len(values):
                size = _chunk(len(values) - start)
                chunk = values[start:start + size]
                sqlite.execute(_rows_at_once(sql, size), [value for row in chunk for value in row])
                start += size
        sqlite.commit()

    async def _commit_group(self) -> None:
        """The group's COMMIT, in its turn."""
        try:
            await self.commit(COMMITTER)
        except Exception:  # noqa: S110 - the units waiting on it were given the error
            pass
        finally:
            self.give_turn(COMMITTER)


# At most this many rows per INSERT: 32 events of 17 columns stay under SQLite's oldest limit on a
# statement's parameters (999, before 3.32).
_MOST_ROWS_AT_ONCE = 32


def _chunk(remaining: int) -> int:
    """The rows of the next INSERT: the largest power of two not above ``remaining`` (and the cap),
    so a statement has few shapes (sqlite3 keeps each prepared: its cache holds 128)."""
    return min(_MOST_ROWS_AT_ONCE, 1 << (remaining.bit_length() - 1))


@functools.lru_cache(maxsize=64)
def _rows_at_once(sql: str, rows: int) -> str:
    """``INSERT ... VALUES (?, ...)`` for ``rows`` rows: its VALUES tuple repeated."""
    at = sql.rfind("VALUES")
    values = sql[at + len("VALUES"):].strip()
    if at < 0 or not (values.startswith("(") and values.endswith(")")):
        raise ValueError(f"not one row's INSERT ... VALUES (?, ...): {sql}")  # noqa: S608 - a message
    return sql + f", {values}" * (rows - 1)


def _too_long(granted: asyncio.Future[None]) -> None:
    if not granted.done():
        # As SQLite says it when its own busy timeout runs out; the unit of work answers 503.
        granted.set_exception(sqlite3.OperationalError("database is locked"))


def _settle(waiting: Iterable[Hashable], error: BaseException | None) -> None:
    for future in waiting:
        assert isinstance(future, asyncio.Future)
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
    """A pool connection: the writer, for one caller at a time, in its turn."""

    def __init__(self, writer: SqliteWriter) -> None:
        writer.open()
        self.writer = writer
        self._closed = False
        self._holding = False
        self._in_unit = False
        self._deferred: Outcome[None] | None = None
        self._at_commit: dict[str, list[Sequence[Any]]] | None = None  # this unit's (``insert_at_commit``)

    async def _take_turn(self) -> None:
        await self.writer.take_turn(self)
        self._holding = True

    def _give_turn(self) -> None:
        if self._holding:
            self._holding = False
            self.writer.give_turn(self)

    async def begin(self, sql: str) -> None:
        await self._take_turn()
        try:
            await self.writer.begin_unit(self, sql)
        except BaseException:
            self._give_turn()
            raise
        self._in_unit = True

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """A statement: in this connection's unit, or else in a turn of its own."""
        if self._holding:
            return self.writer.run(function, *args)
        await self._take_turn()
        try:
            return self.writer.run(function, *args)
        finally:
            self._give_turn()

    async def run_on_thread(self, function: Callable[..., T], *args: Any) -> T:
        """A long statement of this connection's unit (a batch of audit events) on the writer's
        thread, so that the loop serves requests meanwhile (sqlite3 lets go of the GIL while SQLite
        works). Like a COMMIT, it keeps the turn until it has returned from the thread, even if the
        caller is cancelled meanwhile (the cancellation is raised after): nothing else runs on the
        connection while it does, and the unit's rollback comes after it, never beside it."""
        assert self._holding and self._in_unit, "only inside this connection's unit, in its turn"
        writer = self.writer
        if writer.machine.phase is LOST:
            raise GroupCommitLostError("the transaction was rolled back by an error")
        try:
            return await to_the_end(writer._on_thread(function, *args))
        except sqlite3.Error:
            writer._check_transaction()
            raise

    def insert_at_commit(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """``sql`` run once per row of ``rows`` in this connection's unit's transaction, just before
        the COMMIT that holds the unit (the module's docstring): for rows nothing reads before they
        are committed. A rollback of the unit drops them."""
        assert self._holding and self._in_unit, "only inside this connection's unit, in its turn"
        if not rows:
            return
        if self.writer.machine.phase is LOST:
            raise GroupCommitLostError("the transaction was rolled back by an error")
        if self._at_commit is None:
            self._at_commit = {}
        if (queued := self._at_commit.get(sql)) is None:
            self._at_commit[sql] = list(rows)
        else:
            queued.extend(rows)

    def defer_commit(self) -> Outcome[None]:
        """The next commit() only releases this unit; the future resolves once its work is durable,
        or fails with the COMMIT. A rollback instead cancels it."""
        self._deferred = Outcome(loop=asyncio.get_running_loop())
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
        if not self._holding:
            if deferred is not None:
                deferred.set_result(None)  # nothing was begun: nothing to wait for
            return
        writer = self.writer
        try:
            if self._in_unit:
                self._in_unit = False
                rows, self._at_commit = self._at_commit, None
                try:
                    writer.release_unit(self, deferred, rows)
                except BaseException:
                    if deferred is not None:
                        deferred.abandon()
                    raise
                if deferred is not None:
                    return
            if writer.machine.transaction:
                await writer.commit(self)
        finally:
            self._give_turn()

    async def rollback(self) -> None:
        deferred, self._deferred = self._deferred, None
        if deferred is not None:
            deferred.abandon()
        self._at_commit = None
        if not self._holding:
            return
        try:
            if self._in_unit:
                self._in_unit = False
                self.writer.roll_back_unit(self)
        finally:
            self._give_turn()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        """The writer registers its functions once, when it opens."""

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._at_commit = None
        try:
            if self._holding and self._in_unit:
                # Closed mid-unit (an invalidated connection): its work must not join the group.
                self._in_unit = False
                with contextlib.suppress(sqlite3.Error):  # the transaction is gone; its units were told
                    self.writer.roll_back_unit(self)
            self._give_turn()
        finally:
            self.writer.leave()
