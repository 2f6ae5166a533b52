"""Case-insensitive substring search where % and _ in the user's text match literally."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, or_


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains_any(text: str, *columns: ColumnElement[str]) -> ColumnElement[bool]:
    pattern = f"%{_escaped(text.lower())}%"
    return or_(*(func.lower(column).like(pattern, escape="\\") for column in columns))
