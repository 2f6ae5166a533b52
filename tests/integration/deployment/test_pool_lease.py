"""The direct reader's pool lease (adapters/sqlalchemy/pool_lease.py): a free connection is lent and
given back without asyncpg's wait_for and shield tasks (no suspension at all), and the guarantees
stay: an exhausted pool still raises TimeoutError after the pool timeout, a caller cancelled while
it waits or while a release must run a ROLLBACK leaves the pool whole, a failed statement leaves the
connection usable."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import pytest

from hospital.adapters.sqlalchemy import pool_lease
from hospital.adapters.sqlalchemy.direct_reads import AsyncpgDirectReader, direct_reader_for
from tests.integration.conftest import POSTGRES_URL

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="needs HOSPITAL_TEST_DATABASE_URL (PostgreSQL)")


@pytest.fixture
async def pool() -> AsyncIterator[Any]:
    reader = direct_reader_for(POSTGRES_URL, pool_size=1)
    assert isinstance(reader, AsyncpgDirectReader)
    try:
        yield await reader.pool()
    finally:
        await reader.close()


def _at_once(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """The coroutine's result if it finishes without suspending; fails the test otherwise."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    pytest.fail("suspended: a task or a wait on the way")


def test_the_short_ways_are_on_for_the_pinned_asyncpg() -> None:
    # A new asyncpg turns them off (pool_lease._CHECKED): check its pool.py again, then add it.
    assert pool_lease.SHORT_WAYS


async def test_a_free_connection_is_lent_and_given_back_without_suspending(pool: Any) -> None:
    connection = await pool_lease.acquire(pool)  # the first connects
    assert await connection.fetchval("SELECT 1") == 1
    _at_once(pool_lease.release(pool, connection))
    assert pool.get_idle_size() == 1

    connection = _at_once(pool_lease.acquire(pool))
    assert await connection.fetchval("SELECT 2") == 2
    _at_once(pool_lease.release(pool, connection))
    assert pool.get_idle_size() == 1


async def test_an_exhausted_pool_still_times_out(pool: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool_lease, "POOL_TIMEOUT_SECONDS", 0.2)
    held = await pool_lease.acquire(pool)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TimeoutError):
        await pool_lease.acquire(pool)
    assert loop.time() - started >= 0.19
    await pool_lease.release(pool, held)
    again = await pool_lease.acquire(pool)
    assert await again.fetchval("SELECT 1") == 1
    await pool_lease.release(pool, again)


async def test_a_caller_cancelled_while_it_waits_leaves_the_pool_whole(pool: Any) -> None:
    held = await pool_lease.acquire(pool)
    waiting = asyncio.ensure_future(pool_lease.acquire(pool))
    await asyncio.sleep(0.05)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await pool_lease.release(pool, held)
    again = await asyncio.wait_for(pool_lease.acquire(pool), 2)
    assert await again.fetchval("SELECT 1") == 1
    await pool_lease.release(pool, again)


async def test_a_release_cancelled_during_its_rollback_still_gives_the_connection_back(pool: Any) -> None:
    connection = await pool_lease.acquire(pool)
    await connection.execute("BEGIN")
    await connection.execute("CREATE TEMPORARY TABLE lease_probe (x int)")
    releasing = asyncio.ensure_future(pool_lease.release(pool, connection))
    await asyncio.sleep(0)  # the release has begun: it waits for the ROLLBACK's answer
    releasing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await releasing
    again = await asyncio.wait_for(pool_lease.acquire(pool), 2)
    assert not again.is_in_transaction()
    # The ROLLBACK ran: the table of the transaction is gone.
    assert await again.fetchval("SELECT to_regclass('pg_temp.lease_probe') IS NULL")
    await pool_lease.release(pool, again)


async def test_a_failed_statement_leaves_the_connection_usable(pool: Any) -> None:
    import asyncpg

    connection = await pool_lease.acquire(pool)
    with pytest.raises(asyncpg.PostgresError):
        await connection.fetch("SELECT 1/0")
    _at_once(pool_lease.release(pool, connection))  # autocommit: nothing to end

    connection = await pool_lease.acquire(pool)
    await connection.execute("BEGIN")
    with pytest.raises(asyncpg.PostgresError):
        await connection.fetch("SELECT 1/0")
    await pool_lease.release(pool, connection)  # a failed transaction: rolled back on the way
    again = await pool_lease.acquire(pool)
    assert not again.is_in_transaction()
    assert await again.fetchval("SELECT 1") == 1
    await pool_lease.release(pool, again)


async def test_a_connection_the_server_ended_is_replaced(pool: Any) -> None:
    connection = await pool_lease.acquire(pool)
    connection.terminate()
    await pool_lease.release(pool, connection)
    again = await pool_lease.acquire(pool)
    assert await again.fetchval("SELECT 1") == 1
    await pool_lease.release(pool, again)
