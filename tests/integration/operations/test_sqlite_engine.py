"""The embedded SQLite default: WAL, foreign keys, a busy timeout, synchronous=FULL, temporary
storage in memory, and every transaction holding the write lock from its first statement."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import text

from hospital.adapters.sqlalchemy.engine import create_engine


@pytest.fixture
async def engine(tmp_path: Path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'engine.sqlite3'}")
    yield engine
    await engine.dispose()


async def test_each_connection_is_configured_for_durable_concurrent_use(engine) -> None:
    async with engine.connect() as connection:
        assert await connection.scalar(text("PRAGMA journal_mode")) == "wal"
        assert await connection.scalar(text("PRAGMA foreign_keys")) == 1
        assert await connection.scalar(text("PRAGMA busy_timeout")) == 10_000
        assert await connection.scalar(text("PRAGMA synchronous")) == 2  # FULL
        # The savepoints' journal of a group commit stays in memory (no temp file per group).
        assert await connection.scalar(text("PRAGMA temp_store")) == 2  # MEMORY


async def test_a_savepoint_past_the_journals_spill_size_rolls_back_in_memory(engine) -> None:
    """A unit of work's savepoint that changed more than 64 KiB of pages (SQLite's spill size for a
    journal kept on disk) still rolls back exactly to where it began, and the transaction goes on."""
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE note (body TEXT)"))
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO note VALUES ('kept')"))
        await connection.execute(text("SAVEPOINT unit"))
        for _ in range(200):  # ~200 pages: far past 64 KiB
            await connection.execute(text("INSERT INTO note VALUES (:body)"), {"body": "x" * 4000})
        await connection.execute(text("ROLLBACK TO unit"))
        await connection.execute(text("RELEASE unit"))
        await connection.execute(text("INSERT INTO note VALUES ('after')"))
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT body FROM note ORDER BY rowid"))).scalars().all() \
            == ["kept", "after"]


async def test_a_transaction_takes_the_write_lock_before_it_writes(engine, tmp_path: Path) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("SELECT 1"))  # a read, yet the lock is already held
        with closing(sqlite3.connect(tmp_path / "engine.sqlite3", timeout=0)) as other:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            # WAL: a reader outside the engine is never blocked.
            assert other.execute("SELECT 1").fetchone() == (1,)
    with closing(sqlite3.connect(tmp_path / "engine.sqlite3", timeout=0)) as other:
        other.execute("BEGIN IMMEDIATE")  # released at commit
        other.rollback()


async def test_foreign_keys_are_enforced(engine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
        await connection.execute(text("CREATE TABLE child (parent_id INTEGER REFERENCES parent (id))"))
    with pytest.raises(Exception, match="FOREIGN KEY"):
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO child VALUES (42)"))


async def test_a_rolled_back_transaction_leaves_nothing(engine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE note (body TEXT)"))
    async with engine.connect() as connection:
        await connection.execute(text("INSERT INTO note VALUES ('draft')"))
        await connection.rollback()
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM note")) == 0
