"""An in-process database for the in-memory adapters: tables of entities, ids, transactions."""

from __future__ import annotations

import asyncio
import copy
from collections import defaultdict
from typing import Any


class InMemoryDatabase:
    """Shared by every unit of work made from it, like one real database is."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[int, Any]] = defaultdict(dict)
        self.sequences: dict[str, int] = defaultdict(int)
        # One transaction at a time: the simplest isolation that is still correct.
        self.lock = asyncio.Lock()
        # Moves with every commit, whatever it wrote: a cautious stand-in for the SQL triggers that
        # move a data version only when its own data changes.
        self.commits = 0

    def table(self, name: str) -> dict[int, Any]:
        return self.tables[name]

    def next_id(self, name: str) -> int:
        self.sequences[name] += 1
        return self.sequences[name]

    def snapshot(self) -> tuple[dict[str, dict[int, Any]], dict[str, int]]:
        return copy.deepcopy(self.tables), dict(self.sequences)

    def restore(self, snapshot: tuple[dict[str, dict[int, Any]], dict[str, int]]) -> None:
        tables, sequences = snapshot
        self.tables = defaultdict(dict, tables)
        # Ids are never reused, even after a rollback, as in PostgreSQL.
        for name, value in sequences.items():
            self.sequences[name] = max(self.sequences[name], value)


class InMemoryTable:
    """Base of the in-memory repositories: one table, entities stored as they are."""

    table_name: str

    def __init__(self, db: InMemoryDatabase) -> None:
        self._db = db

    @property
    def _rows(self) -> dict[int, Any]:
        return self._db.table(self.table_name)

    def _insert(self, entity: Any) -> None:
        entity.id = self._db.next_id(self.table_name)
        self._rows[entity.id] = entity

    def _remove(self, entity: Any) -> None:
        self._rows.pop(entity.id, None)

    def _sorted(self) -> list[Any]:
        return [self._rows[key] for key in sorted(self._rows)]
