"""The one retry policy of the application: a unit of work that certainly did not commit, for a
reason running it again can cure, runs again from its load.

Two such reasons, and only these two:

- **A lost race** (``ConcurrentChangeError``). Every change to a stored record checks the version
  it was loaded at (the repositories' ports say so); a unit of work whose record moved meanwhile
  changes nothing. Run again from the load, the command judges the current record as if its
  request had come just after the winner's: a cancelled appointment refuses to start, a deleted
  record is not found (404), a change to other fields lands beside the winner's.
- **A connection lost before the COMMIT was sent** (``ConnectionLostError``: a restart, a
  failover, ``pg_terminate_backend``). The database rolled the transaction back when the
  session ended; run again, the unit gets a new connection from a pool that has replaced the
  dead ones.

A unit whose connection was lost *while* its COMMIT was on its way is settled by the adapter,
which asks the database what became of its transaction: committed, the unit returns; certainly
rolled back, it raises ``ConnectionLostError`` and runs again here.

Never run again: a unit whose COMMIT's outcome could not be learned
(``CommitOutcomeUnknownError``: it may have committed, and running it again could do it twice;
the caller gets 503 and reloads), any refusal, any other failure, and a caller that was
cancelled (the cancellation goes through). After ``ATTEMPTS`` runs the last failure is the
caller's: 409 for a race, 503 for a connection.

Between runs the unit waits a random time up to a window that doubles each run (``BACKOFF_SECONDS``,
then twice, then four times: "full jitter"). Without it the losers of a race on one row run again
at once, meet again at the same version, and after a few rounds answer 409 although the row was
free a moment later (four concurrent PATCHes of one record on PostgreSQL did so dozens of times a
second); spread over a few milliseconds they mostly follow each other. The wait is at most
``BACKOFF_SECONDS * (2 ** (ATTEMPTS - 1) - 1)`` in all (14 ms), and a cancelled caller stops waiting.

Decorate the method that runs exactly one unit of work: it must load everything it decides on
inside that unit and touch nothing outside the database (files, messages) before its commit, so
that running it again is safe. A read-only unit qualifies too.
"""

from __future__ import annotations

import asyncio
import functools
import random
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from hospital.application.errors import ConcurrentChangeError, ConnectionLostError

ATTEMPTS = 4
RERUN_WHEN = (ConcurrentChangeError, ConnectionLostError)
BACKOFF_SECONDS = 0.002  # the first wait's window; each next one doubles

P = ParamSpec("P")
T = TypeVar("T")


def rerun_on_concurrent_change(unit: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """``unit`` run up to ``ATTEMPTS`` times while it fails with one of ``RERUN_WHEN`` (a lost race,
    a connection lost before COMMIT); the last failure is raised."""

    @functools.wraps(unit)
    async def rerun(*args: P.args, **kwargs: P.kwargs) -> T:
        for run in range(ATTEMPTS - 1):
            try:
                return await unit(*args, **kwargs)
            except RERUN_WHEN:
                if _cancelled():
                    raise  # its caller gave up: no new run, whatever the last one failed with
            await asyncio.sleep(backoff(run))
        return await unit(*args, **kwargs)

    return rerun


def backoff(run: int) -> float:
    """Seconds to wait after failed run number ``run`` (0 first): random within a doubling window."""
    return random.uniform(0, BACKOFF_SECONDS * 2 ** run)  # noqa: S311 (a spread, not a secret)


def _cancelled() -> bool:
    """Whether the running task was asked to stop (a cancellation its unit turned into another error)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
