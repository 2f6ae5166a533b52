"""Telling which constraint an IntegrityError broke, on either database."""

from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlalchemy.exc import IntegrityError


def breaks_unique(error: IntegrityError, constraint: UniqueConstraint) -> bool:
    """PostgreSQL names the constraint in its message; SQLite lists the table's columns instead."""
    message = str(error.orig)
    if constraint.name and f'"{constraint.name}"' in message:
        return True
    table = constraint.table.name
    columns = ", ".join(f"{table}.{column.name}" for column in constraint.columns)
    return f"UNIQUE constraint failed: {columns}" in message
