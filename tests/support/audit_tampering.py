"""Changing the audit log behind the application's back, as someone with the owner's rights could:
the append-only triggers set aside (on PostgreSQL enabled again after, the database is shared)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

TABLES = ("audit_events", "audit_event_patients")


async def tamper(engine: AsyncEngine, statements: Sequence[str]) -> None:
    async with engine.begin() as connection:
        postgres = connection.dialect.name == "postgresql"
        for table in TABLES:
            if postgres:
                await connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
            else:
                for event in ("no_update", "no_delete"):
                    await connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_{event}"))
        for statement in statements:
            await connection.execute(text(statement))
        if postgres:
            for table in TABLES:
                await connection.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
