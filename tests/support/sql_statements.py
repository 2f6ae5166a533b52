"""Counting the SQL statements an engine runs, to prove a query's cost does not grow with its input."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg.connection
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from hospital.adapters.sqlalchemy.direct_reads import DirectReader
from hospital.adapters.sqlalchemy.driver_transactions import DriverTransactions


def engines_of(container) -> list[Engine | DirectReader | DriverTransactions]:
    """Everything a container's units of work send statements through: the engine, the direct reader
    the read queries run on (adapters/sqlalchemy/direct_reads.py) and the driver transactions
    (driver_transactions.py)."""
    sources: list[Engine | DirectReader | DriverTransactions] = [container.engine().sync_engine]
    for source in (container.direct_reader(), container.driver_transactions()):
        if source is not None:
            sources.append(source)
    return sources


@contextmanager
def counted_statements(*sources: Engine | DirectReader | DriverTransactions) -> Iterator[list[str]]:
    """Collects each statement sent to the databases while the block runs."""
    statements: list[str] = []
    engines = [source for source in sources if isinstance(source, Engine)]
    readers = [source for source in sources if not isinstance(source, Engine)]

    def record(_connection, _cursor, statement, _parameters, _context, _executemany) -> None:
        # Transaction control (SQLite's BEGIN IMMEDIATE) is one per unit of work, not per row.
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            statements.append(statement)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    for reader in readers:
        reader.listeners.append(statements.append)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)
        for reader in readers:
            reader.listeners.remove(statements.append)


def round_trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each query asyncpg sends and waits for (each a round trip), as it is sent."""
    sent: list[str] = []
    for method in ("execute", "fetch", "fetchrow", "fetchval", "executemany"):
        real = getattr(asyncpg.connection.Connection, method)

        def counted(self, query, *args, __real=real, **kwargs):
            sent.append(query)
            return __real(self, query, *args, **kwargs)

        monkeypatch.setattr(asyncpg.connection.Connection, method, counted)
    return sent
