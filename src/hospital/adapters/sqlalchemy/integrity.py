"""Telling which constraint an IntegrityError broke, on either database."""

from __future__ import annotations

import sqlite3

from sqlalchemy import UniqueConstraint
from sqlalchemy.exc import IntegrityError

_FOREIGN_KEY_VIOLATION = "23503"  # PostgreSQL's SQLSTATE


def breaks_unique(error: IntegrityError, constraint: UniqueConstraint) -> bool:
    """PostgreSQL names the constraint in its message; SQLite lists the table's columns instead."""
    message = str(error.orig)
    if constraint.name and f'"{constraint.name}"' in message:
        return True
    table = constraint.table.name
    columns = ", ".join(f"{table}.{column.name}" for column in constraint.columns)
    return f"UNIQUE constraint failed: {columns}" in message


def breaks_a_foreign_key(error: BaseException) -> bool:
    """Whether ``error`` is a foreign key violation, raised through SQLAlchemy or by the driver itself
    (sqlite3, asyncpg: driver_transactions.py)."""
    if isinstance(error, IntegrityError):
        error = error.orig or error
    if isinstance(error, sqlite3.IntegrityError):
        return "FOREIGN KEY constraint failed" in str(error)
    return getattr(error, "sqlstate", None) == _FOREIGN_KEY_VIOLATION
