"""Engines and sessions, with the connection settings each database needs."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from hospital.adapters.sqlalchemy.search import SQLITE_UNICODE_LOWER, python_lower

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
    # An acknowledged write must survive a power cut, not only a process crash.
    "PRAGMA synchronous=FULL",
)


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 10})

        @event.listens_for(engine.sync_engine, "connect")
        def _configure(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            for pragma in SQLITE_PRAGMAS:
                cursor.execute(pragma)
            cursor.close()
            dbapi_connection.create_function(SQLITE_UNICODE_LOWER, 1, python_lower, deterministic=True)

        return engine
    return create_async_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True,
        pool_timeout=5,
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # Entities stay usable after commit: use cases return them to the caller.
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
