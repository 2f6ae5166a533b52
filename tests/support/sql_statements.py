"""Counting the SQL statements an engine runs, to prove a query's cost does not grow with its input."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine


def engines_of(container) -> list[Engine]:
    """Every engine a container's units of work send statements through: on a SQLite file the read
    queries run on a connection of their own (adapters/sqlalchemy/direct_reads.py)."""
    engines = [container.engine().sync_engine]
    reader = container.direct_reader()
    if reader is not None:
        engines.append(reader.engine)
    return engines


@contextmanager
def counted_statements(*engines: Engine) -> Iterator[list[str]]:
    """Collects each statement sent to the databases while the block runs."""
    statements: list[str] = []

    def record(_connection, _cursor, statement, _parameters, _context, _executemany) -> None:
        # Transaction control (SQLite's BEGIN IMMEDIATE) is one per unit of work, not per row.
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            statements.append(statement)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)
