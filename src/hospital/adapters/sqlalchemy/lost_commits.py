"""What became of a PostgreSQL unit of work whose connection was lost: decided from the phase the
loss came in and, for a loss during the COMMIT, from what PostgreSQL says of the transaction.

The invariant: **a caller is told "done" only for work that committed, and work runs again only if
it certainly did not commit.** A unit learns its transaction id before its COMMIT is sent (a
booking from its INSERT's ``RETURNING``; a session unit with one ``SELECT`` just before COMMIT), and
if the connection is lost while the COMMIT is on its way, a fresh connection asks
``pg_xact_status(id)``:

=================  ===================================  ==================================
phase of the loss  what PostgreSQL says                 verdict
=================  ===================================  ==================================
before COMMIT      (not asked)                          run again (the session's end
                                                        rolled it back)
during COMMIT      ``committed``                        committed: the caller's success
during COMMIT      ``aborted``                          run again
during COMMIT      ``in progress``                      ask again (bounded), then unknown
during COMMIT      no id was assigned (nothing written) committed: nothing to lose
during COMMIT      no answer (NULL: too old, an id it   unknown: 503, never run again
                   does not know, no fresh connection,
                   the id was not learned)
=================  ===================================  ==================================

A statement run alone, in an implicit transaction (a dated booking with its event:
booking_statement.py), has no transaction id before it is sent; it is settled by a row only it
writes (its event, by id), asked once its old backend is terminated and gone (``settle_by_row``):
stored -> committed, not stored -> run again, no answer -> unknown.

``pg_xact_status`` answers ``in progress`` while the old backend still holds the transaction
(it has not yet noticed that its client is gone, or is still writing the commit record), and only
then looks at the commit log: a transaction ended by a crash or by its session's end reads
``aborted``. SQLite needs none of this: its writer is in this process, and it always knows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from hospital.application.errors import CommitOutcomeUnknownError, ConnectionLostError


class Phase(Enum):
    BEFORE_COMMIT = "before the COMMIT was sent"
    DURING_COMMIT = "while the COMMIT was on its way"


class XactStatus(Enum):
    COMMITTED = "committed"
    ABORTED = "aborted"
    IN_PROGRESS = "in progress"
    NOTHING_WRITTEN = "no transaction id was assigned"
    UNAVAILABLE = "no answer"


class Verdict(Enum):
    COMMITTED = "committed: tell the caller it succeeded"
    RUN_AGAIN = "certainly not committed: run the unit again (ConnectionLostError)"
    ASK_AGAIN = "still in progress: wait, and ask again"
    UNKNOWN = "outcome unknown: 503, never run again (CommitOutcomeUnknownError)"


def decide(phase: Phase, status: XactStatus | None) -> Verdict:
    """The verdict on a unit whose connection was lost in ``phase``, PostgreSQL saying ``status``
    of its transaction (None: not asked)."""
    if phase is Phase.BEFORE_COMMIT:
        return Verdict.RUN_AGAIN
    return _DURING_COMMIT.get(status, Verdict.UNKNOWN)  # type: ignore[arg-type]


_DURING_COMMIT = {
    XactStatus.COMMITTED: Verdict.COMMITTED,
    XactStatus.NOTHING_WRITTEN: Verdict.COMMITTED,
    XactStatus.ABORTED: Verdict.RUN_AGAIN,
    XactStatus.IN_PROGRESS: Verdict.ASK_AGAIN,
    XactStatus.UNAVAILABLE: Verdict.UNKNOWN,
}


def status_of(answer: object) -> XactStatus:
    """``pg_xact_status``'s answer as a status (NULL, or anything unexpected: no answer)."""
    for status in (XactStatus.COMMITTED, XactStatus.ABORTED, XactStatus.IN_PROGRESS):
        if answer == status.value:
            return status
    return XactStatus.UNAVAILABLE


log = logging.getLogger("hospital.lost_commits")

# The unit's transaction id, as a statement learns it: NULL until the transaction wrote something
# (asking never assigns one, so a unit that wrote nothing costs no transaction id).
TRANSACTION_ID_SQL = "SELECT pg_current_xact_id_if_assigned()"
TRANSACTION_ID = "transaction_id"  # the column a driver statement returns it in (appointments.py)


class current_transaction_id(FunctionElement[int]):
    """The statement's transaction id once it has written, as a column a write can return (``RETURNING
    ..., current_transaction_id().label(TRANSACTION_ID)``): on PostgreSQL; NULL on other databases."""

    type = BigInteger()
    inherit_cache = True


@compiles(current_transaction_id)
def _no_transaction_id(element: current_transaction_id, compiler: Any, **kw: Any) -> str:
    return "NULL"


@compiles(current_transaction_id, "postgresql")
def _pg_transaction_id(element: current_transaction_id, compiler: Any, **kw: Any) -> str:
    return "pg_current_xact_id_if_assigned()"

_STATUS_SQL = "SELECT pg_xact_status($1::xid8)"
# Waits between asks while the old backend still holds the transaction: about 0.75 s in all.
WAITS_BETWEEN_ASKS = (0.05, 0.1, 0.2, 0.4)
ASK_TIMEOUT_SECONDS = 2.0
SETTLE_SECONDS = 5.0  # all of it, connecting included: the caller waits that long at most


def conclude(verdict: Verdict, lost: BaseException | None = None) -> None:
    """Return for a unit that committed; raise what the caller is told otherwise (``lost``, the
    failure that lost the connection, as the cause)."""
    if verdict is Verdict.COMMITTED:
        return
    if verdict is Verdict.RUN_AGAIN:
        raise ConnectionLostError() from lost
    raise CommitOutcomeUnknownError() from lost


async def settle(transaction: int | XactStatus, connect: Callable[[], Awaitable[Any]] | None) -> Verdict:
    """The verdict on a unit whose connection was lost during its COMMIT. ``transaction``: its id,
    whose status is asked on a new asyncpg connection from ``connect`` (None: nothing to ask with),
    while it is in progress at most ``len(WAITS_BETWEEN_ASKS) + 1`` times, all within
    ``SETTLE_SECONDS``; or its status when it is known without asking (no id was assigned:
    ``NOTHING_WRITTEN``; none was learned: ``UNAVAILABLE``)."""
    if isinstance(transaction, XactStatus):
        return decide(Phase.DURING_COMMIT, transaction)
    if connect is None:
        return decide(Phase.DURING_COMMIT, XactStatus.UNAVAILABLE)
    try:
        async with asyncio.timeout(SETTLE_SECONDS):
            return await _ask(transaction, connect)
    except TimeoutError:
        log.warning("A COMMIT lost on its way: no answer about its transaction %s in %s s, so %s", transaction,
                    SETTLE_SECONDS, Verdict.UNKNOWN.value)
        return Verdict.UNKNOWN


async def _ask(transaction: int, connect: Callable[[], Awaitable[Any]]) -> Verdict:
    try:
        connection = await connect()
    except Exception:
        return decide(Phase.DURING_COMMIT, XactStatus.UNAVAILABLE)
    try:
        for wait in (*WAITS_BETWEEN_ASKS, None):
            try:
                answer = await connection.fetchval(_STATUS_SQL, transaction, timeout=ASK_TIMEOUT_SECONDS)
            except Exception:
                answer = None  # "in the future" (another server), or this connection failed too
            verdict = decide(Phase.DURING_COMMIT, status_of(answer))
            if verdict is not Verdict.ASK_AGAIN:
                log.warning("A COMMIT lost on its way: PostgreSQL says its transaction %s is %s, so %s",
                            transaction, answer, verdict.value)
                return verdict
            if wait is not None:
                await asyncio.sleep(wait)
        log.warning("A COMMIT lost on its way: its transaction %s is still in progress, so %s", transaction,
                    Verdict.UNKNOWN.value)
        return Verdict.UNKNOWN
    finally:
        with contextlib.suppress(Exception):
            connection.terminate()  # its own connection: closed at once, no round trip to wait for


# A statement that committed on its own (an implicit transaction: booking_statement.py) has no
# transaction id to ask about before it is sent; what it wrote is asked for instead, once the backend
# that ran it is gone: then it has committed or rolled back for good.
# A backend is named by its process id and its start: a process id reused by a new backend (after a
# restart of the server, say) is never taken for the old one, nor ended.
BACKEND_SQL = "SELECT pg_backend_pid(), backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()"
_TERMINATE_SQL = ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                  "WHERE pid = $1 AND backend_start = $2")
_ALIVE_SQL = "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $1 AND backend_start = $2)"


async def settle_by_row(backend: tuple[int, Any], probe: str, key: object,
                        connect: Callable[[], Awaitable[Any]] | None) -> tuple[Verdict, Any]:
    """The verdict on a statement in its own implicit transaction, run by ``backend`` (its process id
    and start, ``BACKEND_SQL``),
    whose connection was lost while it was on its way: that backend is terminated (it may still be
    running the statement, and commit after any question) and awaited until PostgreSQL no longer
    lists it; then ``probe`` (one parameter, ``key``: the row only the statement writes) says whether
    it committed, and that row is returned with the verdict. No answer within ``SETTLE_SECONDS``, or
    the backend still there: unknown."""
    if connect is None:
        return Verdict.UNKNOWN, None
    try:
        async with asyncio.timeout(SETTLE_SECONDS):
            return await _ask_row(backend, probe, key, connect)
    except TimeoutError:
        log.warning("A statement lost on its way: no answer about backend %s in %s s, so %s", backend,
                    SETTLE_SECONDS, Verdict.UNKNOWN.value)
        return Verdict.UNKNOWN, None


async def _ask_row(backend: tuple[int, Any], probe: str, key: object,
                   connect: Callable[[], Awaitable[Any]]) -> tuple[Verdict, Any]:
    try:
        connection = await connect()
    except Exception:
        return Verdict.UNKNOWN, None
    try:
        for wait in (*WAITS_BETWEEN_ASKS, None):
            try:
                await connection.fetchval(_TERMINATE_SQL, *backend, timeout=ASK_TIMEOUT_SECONDS)
                alive = await connection.fetchval(_ALIVE_SQL, *backend, timeout=ASK_TIMEOUT_SECONDS)
                if not alive:
                    stored = await connection.fetchrow(probe, key, timeout=ASK_TIMEOUT_SECONDS)
                    verdict = Verdict.COMMITTED if stored is not None else Verdict.RUN_AGAIN
                    log.warning("A statement lost on its way: its row %s is %s, so %s", key,
                                "not stored" if stored is None else "stored", verdict.value)
                    return verdict, stored
            except Exception:
                return Verdict.UNKNOWN, None  # not allowed to end it, or this connection failed too
            if wait is not None:
                await asyncio.sleep(wait)
        log.warning("A statement lost on its way: backend %s is still there, so %s", backend, Verdict.UNKNOWN.value)
        return Verdict.UNKNOWN, None
    finally:
        with contextlib.suppress(Exception):
            connection.terminate()
