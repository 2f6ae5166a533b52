"""What a caller is told when it is cancelled while its database work runs somewhere it cannot be
stopped (a statement on the writer's thread, a COMMIT sent to PostgreSQL).

- ``to_the_end``: the work is awaited until it has ended, then the cancellation is raised. For work
  that comes before the point of no return (a BEGIN): the caller's unit is then rolled back.
- ``outcome_of``: a COMMIT, once begun, runs to its end and its caller is told its outcome, as if
  the cancellation had come just after: the result is returned (committed) or its error raised
  (not committed), and the cancellation is withdrawn (``Task.uncancel``). A caller is thus told
  "failed" only when its work did not commit, and compensation (deleting an uploaded image) never
  runs for work that committed.
- ``rolled_back_for_sure``: whether a failed PostgreSQL COMMIT is known not to have committed. A
  connection lost while COMMIT was on its way leaves the outcome to be asked of PostgreSQL
  (lost_commits.py); when it cannot say, the units of work raise ``CommitOutcomeUnknownError``
  (503), compensation keeps what the work referred to, and the retry policy never runs such a unit
  again (application/retry.py).

Before the COMMIT is sent, the outcome is certain: a PostgreSQL transaction commits only on its
COMMIT, and a session that ended without one was rolled back. So a connection the driver already
knows to be closed when the COMMIT is due (the server's goodbye was read: ``is_closed()``) sends
nothing and raises ``ConnectionLostError``, as a fault at any earlier statement does
(database_errors.py), and the unit runs again on a new connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")

# SQLSTATE classes with which PostgreSQL answers a COMMIT it rolled back: a deferred constraint
# (23) or a serialization failure or deadlock (40). Any other failure (08 connection, 57 shutdown
# after the commit was recorded, a timeout, no answer at all) leaves the outcome unknown.
_ROLLED_BACK_SQLSTATE_CLASSES = ("23", "40")


async def to_the_end(awaitable: Awaitable[T]) -> T:
    """``awaitable``'s result, awaited until it has ended even if the caller is cancelled meanwhile;
    a cancellation that came meanwhile is raised after (its error, if it failed, as the cause)."""
    future = asyncio.ensure_future(awaitable)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        if future.cancelled():
            raise  # the work itself was cancelled, not only its caller
        await _through_cancellations(future)
        raise asyncio.CancelledError() from (None if future.cancelled() else future.exception())


class Outcome(asyncio.Future[T]):
    """A future its waiter cannot cancel: a task cancelled while awaiting it is woken when it is
    settled (the cancellation is then raised at the await), instead of cancelling it. Cheaper to
    await to the end than a shielded future (no second future, no extra turn of the loop); used
    for a unit's acknowledgement by its group's COMMIT. ``abandon`` cancels it for good."""

    def cancel(self, msg: object = None) -> bool:
        return False

    def abandon(self) -> None:
        asyncio.Future.cancel(self)


async def outcome_of(commit: Awaitable[T]) -> T:
    """A commit's result or error, awaited until it has ended; cancellations that came meanwhile are
    withdrawn: the commit's outcome is what its caller is told."""
    future = asyncio.ensure_future(commit)
    try:
        return await (future if isinstance(future, Outcome) else asyncio.shield(future))
    except asyncio.CancelledError:
        if future.cancelled():
            raise  # the commit itself was cancelled, not only its caller
        withdrawn = 1 + await _through_cancellations(future)
    task = asyncio.current_task()
    assert task is not None
    for _ in range(withdrawn):
        task.uncancel()
    return future.result()


async def _through_cancellations(future: asyncio.Future[T]) -> int:
    """Wait for ``future`` whatever happens to the caller; returns how many cancellations came."""
    cancellations = 0
    while not future.done():
        try:
            await asyncio.shield(future)
        except asyncio.CancelledError:
            if not future.cancelled():
                cancellations += 1
    return cancellations


def rolled_back_for_sure(error: BaseException) -> bool:
    """Whether PostgreSQL answered a COMMIT with an error that means it rolled the transaction back."""
    for candidate in (error, getattr(error, "orig", None)):
        sqlstate = getattr(candidate, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate[:2] in _ROLLED_BACK_SQLSTATE_CLASSES:
            return True
    return False
