"""Ids a request may name but no row can have."""

from __future__ import annotations

# Primary keys are INTEGER: 32 bits on PostgreSQL. A larger number in a URL must read as "no such row",
# not reach the driver, which refuses it with an error (a 500).
MAX_ID = 2**31 - 1


def can_exist(row_id: int) -> bool:
    return 1 <= row_id <= MAX_ID
