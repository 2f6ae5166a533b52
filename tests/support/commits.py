"""PostgreSQL COMMITs intercepted where both transaction paths send them: asyncpg's
``Connection.execute``. The ORM session's COMMIT is asyncpg's ``Transaction.commit`` (``COMMIT;``);
a driver transaction's is its own query string, the statements that ride with it first
(``...; COMMIT``, adapters/sqlalchemy/driver_transactions.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg.connection
import pytest

Send = Callable[[], Awaitable[Any]]
Replacement = Callable[[asyncpg.connection.Connection, Send], Awaitable[Any]]


def is_commit(query: str) -> bool:
    return query.rstrip().rstrip(";").rstrip().upper().endswith("COMMIT")


def replace_commits(monkeypatch: pytest.MonkeyPatch, replacement: Replacement) -> None:
    """From now on each COMMIT's query string is handed to ``replacement(connection, send)``, where
    ``send()`` sends it as it was; every other statement goes as it would."""
    real = asyncpg.connection.Connection.execute

    async def execute(self: asyncpg.connection.Connection, query: str, *args: Any, **kwargs: Any) -> Any:
        if args or not is_commit(query):
            return await real(self, query, *args, **kwargs)
        return await replacement(self, lambda: real(self, query, **kwargs))

    monkeypatch.setattr(asyncpg.connection.Connection, "execute", execute)
