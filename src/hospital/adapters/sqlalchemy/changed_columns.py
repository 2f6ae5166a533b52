"""An ``EntityTable`` whose ``save`` writes only the columns that changed since the unit read the row.

Some tables carry triggers that fire on ``UPDATE OF`` a column, whatever its value (migrations 0003
and 0010 on ``users``: a change of username or name moves the doctors' data version, a change of
activity or staff flag the actors' version, each invalidating every worker's copies). A save that
wrote every column would fire them for a login's ``last_login`` or a profile's ``bio``; the ORM
never did, as it wrote only what changed. So here:

- every entity read (``get``, or a row of a joined read: ``entity_of``) or added through the table
  is remembered with the values it was stored with, by id, for this unit of work;
- ``save`` compares the entity with them: nothing changed, no statement (the row was read for
  change in this unit's transaction, so it is still the stored one: ``EntityTable.get``);
  otherwise ``UPDATE ... SET <the changed columns>, version = version + 1 WHERE id AND version``
  (one statement per set of columns, compiled once), refused as ``ConcurrentChangeError`` when no
  row matched, as ``EntityTable.save``;
- an entity not read through this table is saved whole (``EntityTable.save``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Table, bindparam, update

from hospital.adapters.sqlalchemy.direct_reads import ReadRunner
from hospital.adapters.sqlalchemy.entity_table import VERSION, EntityTable, TransactionOwner
from hospital.adapters.sqlalchemy.lost_commits import TRANSACTION_ID, current_transaction_id
from hospital.adapters.sqlalchemy.prepared import QueryShapes
from hospital.application.errors import ConcurrentChangeError

E = TypeVar("E")


def _update_of(table: Table, *names: str) -> Any:
    return (update(table).where(table.c.id == bindparam("id"), table.c[VERSION] == bindparam("version"))
            .values({**{name: bindparam(f"new_{name}") for name in names}, VERSION: table.c[VERSION] + 1})
            .returning(table.c[VERSION], current_transaction_id().label(TRANSACTION_ID)))


_UPDATES: dict[str, QueryShapes] = {}


class ChangedColumnsTable(EntityTable[E]):
    """``EntityTable`` whose saves write the changed columns only (see the module)."""

    def __init__(self, uow: TransactionOwner, reads: ReadRunner, entity: type[E], table: Table) -> None:
        super().__init__(uow, reads, entity, table)
        updates = _UPDATES.get(table.name)
        if updates is None:
            updates = _UPDATES[table.name] = QueryShapes(lambda *names: _update_of(table, *names))
        self._updates = updates
        # Each entity's stored values (as written to the driver) as this unit last read or wrote them.
        self._stored: dict[int, dict[str, Any]] = {}

    def entity_of(self, row: Sequence[Any]) -> E:
        """The entity of a row read for change (its id, its columns in table order, its version),
        remembered for ``save``."""
        entity = self._entity_of(row)
        self._stored[row[0]] = self._values(entity)
        return entity

    async def get(self, entity_id: int) -> E | None:
        entity = await super().get(entity_id)
        if entity is not None:
            self._stored[entity.id] = self._values(entity)  # type: ignore[attr-defined]
        return entity

    async def add(self, entity: E) -> None:
        await super().add(entity)
        self._stored[entity.id] = self._values(entity)  # type: ignore[attr-defined]

    async def save(self, entity: E) -> None:
        entity_id: int = entity.id  # type: ignore[attr-defined]
        stored = self._stored.get(entity_id)
        values = self._values(entity)
        if stored is None:
            await super().save(entity)
        else:
            changed = tuple(name for name, value in values.items() if stored[name] != value)
            if not changed:
                return
            parameters = {**{f"new_{name}": values[name] for name in changed}, "id": entity_id,
                          "version": getattr(entity, VERSION)}
            rows = await self._written(self._updates(*changed), parameters)
            if not rows:
                raise ConcurrentChangeError()  # changed or deleted since it was read
            setattr(entity, VERSION, rows[0][0])
        self._stored[entity_id] = values

    async def delete(self, entity: E) -> None:
        await super().delete(entity)
        self._stored.pop(entity.id, None)  # type: ignore[attr-defined]
