"""Case-insensitive substring search where % and _ in the user's text match literally."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, String, false, literal, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

# SQLite's own lower() folds ASCII only, so "Çelik" would not even match "Çeli"; engine.py
# registers this function on every SQLite connection. The built-in stays as it is: the
# lower(username) unique index was built with it.
SQLITE_UNICODE_LOWER = "hospital_lower"


def python_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


class unicode_lower(FunctionElement[str]):
    type = String()
    inherit_cache = True


@compiles(unicode_lower)
def _lower(element: unicode_lower, compiler: Any, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(unicode_lower, "sqlite")
def _sqlite_lower(element: unicode_lower, compiler: Any, **kw: Any) -> str:
    return f"{SQLITE_UNICODE_LOWER}({compiler.process(element.clauses, **kw)})"


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains_pattern(text: str) -> str | None:
    """The LIKE pattern of ``matches_any`` for ``text``; None when nothing can match: no stored text
    holds NUL, and PostgreSQL refuses it even as a parameter."""
    return None if "\x00" in text else f"%{_escaped(text.lower())}%"


def matches_any(pattern: ColumnElement[str], *columns: ColumnElement[str]) -> ColumnElement[bool]:
    """Any of ``columns``, lower-cased, is LIKE ``pattern`` (a bound ``contains_pattern``)."""
    return or_(*(unicode_lower(column).like(pattern, escape="\\") for column in columns))


def contains_any(text: str, *columns: ColumnElement[str]) -> ColumnElement[bool]:
    pattern = contains_pattern(text)
    return false() if pattern is None else matches_any(literal(pattern, String), *columns)
