"""The SQLite direct reader keeps the event loop free: a statement that outlasts its budget on the
loop's connection is interrupted and runs again on a thread (adapters/sqlalchemy/direct_reads.py)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import text

from hospital.adapters.sqlalchemy.direct_reads import SqliteDirectReader
from hospital.adapters.sqlalchemy.prepared import PreparedQuery

# Counts to :n the slow way: tens of milliseconds per 100,000 steps.
COUNT_TO = PreparedQuery(text(
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :n) SELECT count(*) FROM n"
))
SLOW = 3_000_000


@pytest.fixture
def database(tmp_path: Path) -> str:
    path = tmp_path / "reads.sqlite3"
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
    return str(path)


async def _longest_pause_of_the_loop_while(work) -> tuple[object, float]:
    """The result of ``work`` and the longest the loop went without running a 1 ms ticker."""
    longest, running = 0.0, True

    async def tick() -> None:
        nonlocal longest
        last = time.monotonic()
        while running:
            await asyncio.sleep(0.001)
            now = time.monotonic()
            longest, last = max(longest, now - last), now

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.01)
    try:
        result = await work
    finally:
        running = False
        await ticker
    return result, longest


async def test_a_slow_statement_moves_to_a_thread_and_answers_the_same(database) -> None:
    reader = SqliteDirectReader(database)
    try:
        started = time.monotonic()
        rows, longest = await _longest_pause_of_the_loop_while(reader.rows(COUNT_TO, {"n": SLOW}))
        took = time.monotonic() - started
        assert rows == [(SLOW,)]
        # The loop ran its ticker all along: it was held about the budget (and whatever the busy
        # machine adds), not the statement's time (on the loop, the longest pause was all of it).
        assert longest < took / 4, (longest, took)
        # Remembered as slow: the next run goes straight to the thread (no budget spent on the loop).
        started = time.monotonic()
        rows, longest = await _longest_pause_of_the_loop_while(reader.rows(COUNT_TO, {"n": SLOW}))
        assert rows == [(SLOW,)]
        assert longest < (time.monotonic() - started) / 4, longest
    finally:
        await reader.close()


async def test_a_quick_statement_stays_on_the_loops_connection(database) -> None:
    reader = SqliteDirectReader(database)
    try:
        assert await reader.rows(COUNT_TO, {"n": 10}) == [(10,)]
        assert reader._executor is None  # no thread was ever needed
    finally:
        await reader.close()


async def test_the_readers_connections_never_write(database) -> None:
    reader = SqliteDirectReader(database, loop_budget_seconds=0)
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await reader.rows(PreparedQuery(text("CREATE TABLE t (x)")))
    finally:
        await reader.close()
