"""Column values as the drivers answer a direct read, made what the read models hold: SQLite
answers dates and times as ISO text (UtcDateTime stores naive UTC there) and booleans as 0/1."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any


def utc_datetime(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def plain_date(value: Any) -> date | None:
    if value is None:
        return None
    return date.fromisoformat(value) if isinstance(value, str) else value
