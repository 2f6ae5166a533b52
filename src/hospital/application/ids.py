"""What an id can be. Anything else names nothing, so a look-up need not reach the database.

Ids are positive and fit a 32-bit integer column; a larger number sent to PostgreSQL is an
error there, not an empty result.
"""

MAX_ID = 2**31 - 1


def is_valid_id(value: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and 1 <= value <= MAX_ID
