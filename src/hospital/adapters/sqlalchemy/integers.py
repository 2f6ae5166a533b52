"""Numbers the INTEGER columns can hold. Anything outside cannot be stored, so it matches nothing.

PostgreSQL (asyncpg) refuses to even compare an INTEGER column with a larger value, so an absurd id
in a path, a filter or a body is answered as "no such row" here rather than as a server error.
"""

from __future__ import annotations

from collections.abc import Iterable

INTEGER_MIN = -(2**31)
INTEGER_MAX = 2**31 - 1


def storable(value: int) -> bool:
    return INTEGER_MIN <= value <= INTEGER_MAX


def storable_only(values: Iterable[int]) -> list[int]:
    return [value for value in values if storable(value)]
