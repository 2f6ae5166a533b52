"""Case-insensitive substring search where % and _ in the user's text match literally."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, func, or_


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains_any(text: str, *columns: ColumnElement[str]) -> ColumnElement[bool]:
    if "\x00" in text:
        # No stored text holds NUL, and PostgreSQL refuses it even as a parameter.
        return false()
    pattern = f"%{_escaped(text.lower())}%"
    return or_(*(func.lower(column).like(pattern, escape="\\") for column in columns))
