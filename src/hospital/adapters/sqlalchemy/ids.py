"""Ids the tables can hold. Larger numbers (from a URL or a filter) would make the driver raise."""

from __future__ import annotations

MAX_ID = 2**31 - 1  # Integer primary keys: int4 on PostgreSQL


def storable_id(value: int) -> bool:
    return 1 <= value <= MAX_ID
