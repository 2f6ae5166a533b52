"""The `search` query parameter, read the way the original's search filter read it."""

from __future__ import annotations


def search_terms(text: str | None) -> tuple[str, ...]:
    """Terms split on whitespace and commas; a row matches when every term is found in one of its fields.

    NUL characters are dropped first: no field can hold one, and PostgreSQL refuses them in a query.
    """
    if not text:
        return ()
    return tuple(text.replace("\x00", "").replace(",", " ").split())
