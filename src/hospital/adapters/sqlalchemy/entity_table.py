"""The plain repository of an entity mapped onto one table, for the repositories that need no more.

It loads aggregates for the commands that change them; lists and pure reads are the read side's
(read_side.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from hospital.adapters.sqlalchemy.database_errors import flush
from hospital.adapters.sqlalchemy.integers import storable, storable_only

E = TypeVar("E")


class EntityTable(Generic[E]):
    """The plain get/list/add/save/delete of an entity mapped onto one table."""

    def __init__(self, session: AsyncSession, entity: type[E], table: Table) -> None:
        self._session, self._entity, self._table = session, entity, table

    async def _flush(self) -> None:
        # A duplicate (the use case checked first, a concurrent request did not see it), or a row
        # changed or deleted since it was read: raised as what it means (database_errors.py).
        await flush(self._session)

    async def add(self, entity: E) -> None:
        self._session.add(entity)
        await self._flush()

    async def get(self, entity_id: int) -> E | None:
        return await self._session.get(self._entity, entity_id) if storable(entity_id) else None

    async def existing_ids(self, ids: Iterable[int]) -> set[int]:
        wanted = storable_only(ids)
        if not wanted:
            return set()
        return set(await self._session.scalars(select(self._table.c.id).where(self._table.c.id.in_(wanted))))

    async def save(self, entity: E) -> None:
        await self._flush()

    async def delete(self, entity: E) -> None:
        # Rows that link to it (a doctor's designations, times...) go with it: ON DELETE CASCADE.
        await self._session.delete(entity)
        await self._flush()
