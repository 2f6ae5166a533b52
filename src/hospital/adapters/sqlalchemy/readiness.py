"""Readiness of the database: it answers, and its schema is at the migrations' head."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine


class DatabaseHealthCheck:
    name = "database"

    def __init__(self, engine: AsyncEngine, expected_heads: Callable[[], frozenset[str]]) -> None:
        self._engine, self._expected_heads = engine, expected_heads

    async def problem(self) -> str | None:
        connection = self._engine.connect()
        try:
            await connection.start()
        except (SQLAlchemyError, OSError):
            return "unreachable"
        try:
            rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
            current = frozenset(rows.scalars())
        except (SQLAlchemyError, OSError):
            return "not migrated: run `hospital migrate`"
        finally:
            with suppress(SQLAlchemyError, OSError):  # a connection that broke under us
                await connection.close()
        expected = self._expected_heads()
        if current != expected:
            return (f"schema at revision {', '.join(sorted(current)) or 'none'}, code expects "
                    f"{', '.join(sorted(expected))}: run `hospital migrate`")
        return None
