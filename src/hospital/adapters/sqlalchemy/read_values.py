"""Column values as the drivers answer a direct read, made what the read models hold: SQLite
answers dates and times as ISO text (UtcDateTime stores naive UTC there) and booleans as 0/1."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any


def utc_datetime(value: Any) -> datetime:
    if isinstance(value, str):
        # SQLite's naive UTC text parsed with its zone appended: datetime.replace(tzinfo=...) costs
        # several times the parse itself, and a page of profiles converts three values a row. Text
        # with its own offset refuses the second one; a date alone parses but stays naive.
        try:
            parsed = datetime.fromisoformat(value + "+00:00")
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is UTC:
            return parsed
        value = datetime.fromisoformat(value)
    zone = value.tzinfo
    if zone is UTC:  # asyncpg answers timestamptz in UTC already
        return value
    return value.replace(tzinfo=UTC) if zone is None else value.astimezone(UTC)


def plain_date(value: Any) -> date | None:
    if value is None:
        return None
    return date.fromisoformat(value) if isinstance(value, str) else value
