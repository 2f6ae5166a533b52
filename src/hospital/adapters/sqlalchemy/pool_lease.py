"""A connection of the direct reader's asyncpg pool (direct_reads.py), leased for one statement or
one transaction, with the pool's guarantees and without the two tasks asyncpg pays for them.

asyncpg 0.32 runs ``Pool.acquire(timeout=...)`` under ``asyncio.wait_for`` (on Python 3.11 a task, a
future and a timer per call; uvloop's timers are libuv handles) and ``Pool.release`` under
``asyncio.shield`` (a task per call, which the caller waits a loop iteration for). Per lease that was
~10 us of the worker's CPU of a ~450 us booking, paid on every PostgreSQL read and write
(bench/findings.md, pgpath). Here:

- ``acquire``: when a connection holder waits in the pool's queue, ``Pool.acquire()`` takes it at
  once (``Queue.get`` of a non-empty queue does not suspend, and nothing runs between the look and
  the take), so no timer is needed for the wait; what it may still wait for is opening the
  connection, which the pool's connect timeout bounds (``CONNECT_TIMEOUT_SECONDS``, the same
  ``TimeoutError``). When every connection is leased, ``Pool.acquire(timeout=POOL_TIMEOUT_SECONDS)``
  as before: a request never waits more than that for a connection, and gets ``TimeoutError``.
- ``release``: asyncpg's shield keeps a caller cancelled meanwhile from leaving the connection half
  given back. A release that cannot suspend cannot be cancelled halfway: with our pool's ``reset``
  (``nothing_to_reset``) and no budget (no timer), the holder's release awaits nothing when the
  connection is open, outside any transaction, not cancelling a query, under its query limit and of
  the pool's generation; then it is run in place. Any other release (a ROLLBACK, a close, a wait for
  a cancelled query) goes through ``Pool.release`` with its shield and an explicit budget of
  ``POOL_TIMEOUT_SECONDS`` (the one the timed acquire gave it).

Both short ways read asyncpg's private state (``Pool._queue``, the proxy's ``_holder`` and ``_con``,
the holder's ``release``, the protocol's ``_is_cancelling``): checked at import, and used only for
the asyncpg versions whose pool code this was checked against (``_CHECKED``); any other version gets
the public calls. tests/integration/deployment/test_pool_lease.py pins both ways.
"""

from __future__ import annotations

from typing import Any

POOL_TIMEOUT_SECONDS = 5

# asyncpg versions whose pool.py (Pool._acquire, Pool.release, PoolConnectionHolder.release) the
# short ways were checked against.
_CHECKED = ("0.32.",)


def _short_ways_hold() -> bool:
    try:
        import asyncpg
        from asyncpg.pool import Pool, PoolConnectionHolder, PoolConnectionProxy
    except ImportError:  # pragma: no cover - asyncpg is a dependency
        return False
    if not asyncpg.__version__.startswith(_CHECKED):
        return False
    return all(hasattr(PoolConnectionHolder, name) for name in ("release", "_release")) and all(
        name in PoolConnectionProxy.__slots__ for name in ("_holder", "_con")) and hasattr(Pool, "_acquire")


SHORT_WAYS = _short_ways_hold()


async def acquire(pool: Any) -> Any:
    """A connection of ``pool``; ``TimeoutError`` after ``POOL_TIMEOUT_SECONDS`` if none is free."""
    if SHORT_WAYS:
        queue = pool._queue
        if queue.qsize():
            return await pool.acquire()
    return await pool.acquire(timeout=POOL_TIMEOUT_SECONDS)


async def release(pool: Any, connection: Any) -> None:
    """``connection`` back to ``pool``, safely even if the caller is cancelled meanwhile."""
    if SHORT_WAYS and _settles_at_once(pool, connection):
        connection._con._on_release()
        await connection._holder.release(None)
        return
    await pool.release(connection, timeout=POOL_TIMEOUT_SECONDS)


def _settles_at_once(pool: Any, connection: Any) -> bool:
    """Whether the holder's release awaits nothing (asyncpg 0.32's ``PoolConnectionHolder.release``)."""
    con = connection._con
    if con is None:
        return False  # released already: Pool.release does nothing
    holder = connection._holder
    if holder._pool is not pool or holder._in_use is None or pool._reset is not nothing_to_reset:
        return False
    protocol = con._protocol
    return (not con.is_closed() and not protocol.is_in_transaction() and con._top_xact is None
            and not protocol._is_cancelling() and protocol.queries_count < holder._max_queries
            and holder._generation == pool._generation)


async def nothing_to_reset(_connection: Any) -> None:
    """The pool's default reset is a round trip per release (RESET ALL, UNLISTEN *, CLOSE ALL,
    advisory unlocks) for state these single read statements in autocommit never create; asyncpg
    still ends any open transaction itself before calling this."""
