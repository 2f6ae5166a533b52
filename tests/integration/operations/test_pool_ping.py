"""The pool pings a connection before lending it only when it has been idle a while: busy
connections cost no extra round trips, and a connection the server dropped while idle is replaced
before a request gets it (one asyncpg already saw closed, without a ping)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from hospital.adapters.sqlalchemy import engine as engines
from tests.integration.conftest import POSTGRES_URL

IDLE = 0.2

needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="needs HOSPITAL_TEST_DATABASE_URL (PostgreSQL)")


def _counting_pings(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    pings: list[object] = []
    real_ping = engine.dialect.do_ping

    def ping(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return real_ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", ping)
    return pings


async def _select_one(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return await connection.scalar(text("SELECT 1"))


async def test_a_connection_given_back_moments_ago_is_lent_without_a_ping(database_url: str,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    engine = create_async_engine(database_url, pool_size=1, max_overflow=0)
    engines.ping_connections_idle_for(engine, IDLE)
    pings = _counting_pings(engine, monkeypatch)
    try:
        assert await _select_one(engine) == 1  # a new connection: nothing to check
        for _ in range(5):
            assert await _select_one(engine) == 1
        assert pings == []

        await asyncio.sleep(IDLE * 1.5)
        assert await _select_one(engine) == 1
        assert len(pings) == 1  # idle long enough to have been dropped: checked once
        assert await _select_one(engine) == 1
        assert len(pings) == 1
    finally:
        await engine.dispose()


@needs_postgres
async def test_a_connection_the_server_dropped_while_idle_is_replaced_before_use(
        database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines, "IDLE_BEFORE_PING_SECONDS", IDLE)
    engine = engines.create_engine(database_url, pool_size=1)
    pings = _counting_pings(engine, monkeypatch)
    try:
        async with engine.connect() as connection:
            first_backend = await connection.scalar(text("SELECT pg_backend_pid()"))
        admin = create_async_engine(database_url, poolclass=engines.pool.NullPool)
        try:
            async with admin.connect() as connection:  # as a server restart or a failover would
                assert await connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": first_backend})
        finally:
            await admin.dispose()
        await asyncio.sleep(IDLE * 1.5)

        async with engine.connect() as connection:  # no error reaches the caller
            assert await connection.scalar(text("SELECT pg_backend_pid()")) != first_backend
        # asyncpg read the server's goodbye while the connection was idle: it is seen closed at
        # checkout and replaced without even a ping's round trips.
        assert pings == []
    finally:
        await engine.dispose()
