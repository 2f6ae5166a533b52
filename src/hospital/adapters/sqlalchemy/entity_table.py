"""The plain repository of an entity stored in one versioned table, for the repositories that need
no more: each of get, add, save and delete is one prepared statement run in the unit of work's
transaction (``SqlAlchemyUnitOfWork.write``), which is a driver transaction when it is the unit's
first (driver_transactions.py). No ORM session, flush or identity map: those cost more event-loop
time than the rest of a simple create or update (docs/benchmarks.md, "Writes").

- ``get`` loads the row inside the unit's transaction (beginning it): on SQLite that is the
  writer's turn, so the row read is the one the UPDATE will find; on PostgreSQL a concurrent
  change between the two is caught by the version check below.
- ``save`` is ``UPDATE ... WHERE id = :id AND version = :version ... RETURNING version`` and
  ``delete`` the same check: no row matched means the row was changed or deleted since it was read,
  ``ConcurrentChangeError``, and the command runs again from its load (application/retry.py).
- ``save`` writes by difference: only the columns whose value differs from what this repository
  last read or wrote for the row at that version, and the version (a PATCH of one field SETs that
  column and the version); nothing at all when nothing differs (the row was read for change in this
  unit, so it is still the stored one). Why: a column in SET costs even when its value is the same:
  SQLite checks a foreign key column's parent and updates the indexes on it, and an ``UPDATE OF
  column`` trigger fires on both databases (an available time's window moves the slot versions of
  every doctor offering it, an appointment's time runs the overlap check, a user's names, activity
  or staff flag move the doctors' and actors' data versions and so every worker's copies). Why it
  is safe: every write of the row moves its version, so a row still at the version remembered
  holds the values remembered, and the UPDATE only matches the row at that version. An entity this
  repository did not read (or read at another version) gets every column.
- Every write returns its PostgreSQL transaction id (lost_commits.py), so a COMMIT lost on its
  way is settled by asking what became of that transaction.

Values go through each column's own type for the dialect (the conversions the ORM would make: an
SQLite TIME is text, a boolean 0/1, an enum its value), so rows written here and by the ORM are
the same. Lists and pure reads are the read side's (read_side.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import fields
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from sqlalchemy import Column, Table, bindparam, delete, select, update
from sqlalchemy import insert as insert_into
from sqlalchemy.engine import Dialect

from hospital.adapters.sqlalchemy.database_errors import raise_as_domain_error
from hospital.adapters.sqlalchemy.direct_reads import ReadRunner
from hospital.adapters.sqlalchemy.integers import storable, storable_only
from hospital.adapters.sqlalchemy.lost_commits import TRANSACTION_ID, current_transaction_id
from hospital.adapters.sqlalchemy.prepared import PreparedQuery, id_in
from hospital.application.errors import ConcurrentChangeError

if TYPE_CHECKING:
    from hospital.adapters.sqlalchemy.booking_statement import DeferredBooking

E = TypeVar("E")

# The version column's attribute on a mapped entity (mapping.py: ``version_id_col``).
VERSION = "version"


class TransactionOwner(Protocol):
    """The unit of work (unit_of_work.py), as these repositories use it."""

    @property
    def dialect(self) -> Dialect: ...

    async def write(self, query: PreparedQuery, parameters: Mapping[str, Any]) -> list[Any]: ...

    def write_at_commit(self, booking: DeferredBooking) -> bool:
        """Hold ``booking`` to send at commit with its event as one statement (True), when the
        unit can (booking_statement.py); else False, and the caller writes it now."""
        ...


class _Codec:
    """A column's values to and from the driver, for one dialect: its type's processors."""

    __slots__ = ("read", "write")

    def __init__(self, column: Column[Any], dialect: Dialect) -> None:
        implementation = column.type.dialect_impl(dialect)
        self.write: Callable[[Any], Any] | None = implementation.bind_processor(dialect)
        self.read: Callable[[Any], Any] | None = implementation.result_processor(dialect, None)


class RowStatements:
    """The statements of one table, compiled once per dialect; ``columns`` are the entity's
    attributes, which are the table's columns but ``id``, ``version`` and those the database derives
    (``info["derived"]``, kept by triggers: never written here)."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.columns: tuple[Column[Any], ...] = tuple(
            c for c in table.c if c.name not in ("id", VERSION) and not c.info.get("derived"))
        transaction_id = current_transaction_id().label(TRANSACTION_ID)
        row, version = table.c.id == bindparam("id"), table.c[VERSION] == bindparam("version")
        self.insert = PreparedQuery(insert_into(table).values({c.name: bindparam(c.name) for c in self.columns})
                                    .returning(table.c.id, table.c[VERSION], transaction_id))
        # The row to change, locked on PostgreSQL (FOR UPDATE; SQLite's compiler leaves it out: there
        # the row is read in the writer's turn, which holds the whole database): a second writer of the
        # row waits for the first to end and then reads what it committed, instead of losing the
        # version check below and running again (four writers of one row lost it up to three times
        # each, and a command that lost it three times answered 409).
        self.select = PreparedQuery(select(table.c.id, *self.columns, table.c[VERSION]).where(row).with_for_update())
        self._row, self._version, self._transaction_id = row, version, transaction_id
        self._updates: dict[tuple[str, ...], PreparedQuery] = {}
        self.update = self.update_of(tuple(c.name for c in self.columns))
        self.delete = PreparedQuery(delete(table).where(row, version).returning(table.c.id, transaction_id))
        self.existing = PreparedQuery(select(table.c.id).where(id_in(table.c.id, bindparam("ids"))))
        self._codecs: dict[str, tuple[_Codec, ...]] = {}

    def update_of(self, names: tuple[str, ...]) -> PreparedQuery:
        """The UPDATE that sets the columns ``names`` (in the table's order) and moves the version; one
        per set of columns that some save changed, compiled once (a few per table in practice)."""
        query = self._updates.get(names)
        if query is None:
            table = self.table
            # SET's parameters may not be named after the columns they set (SQLAlchemy reserves those names).
            query = self._updates[names] = PreparedQuery(
                update(table).where(self._row, self._version)
                .values({**{name: bindparam(f"new_{name}") for name in names}, VERSION: table.c[VERSION] + 1})
                .returning(table.c[VERSION], self._transaction_id)
            )
        return query

    def codecs(self, dialect: Dialect) -> tuple[_Codec, ...]:
        codecs = self._codecs.get(dialect.name)
        if codecs is None:
            codecs = self._codecs[dialect.name] = tuple(_Codec(column, dialect) for column in self.columns)
        return codecs


_STATEMENTS: dict[str, RowStatements] = {}


def statements_for(table: Table) -> RowStatements:
    statements = _STATEMENTS.get(table.name)
    if statements is None:
        statements = _STATEMENTS[table.name] = RowStatements(table)
    return statements


_INIT_COLUMNS: dict[tuple[type, str], tuple[bool, ...]] = {}


def _init_columns(entity: type, statements: RowStatements) -> tuple[bool, ...]:
    """Per column (in the table's order), whether the entity's constructor takes it; once per entity
    and table, not per repository (a unit of work makes its repositories anew)."""
    key = (entity, statements.table.name)
    init = _INIT_COLUMNS.get(key)
    if init is None:
        names = {f.name for f in fields(entity) if f.init}  # type: ignore[arg-type]
        init = _INIT_COLUMNS[key] = tuple(column.name in names for column in statements.columns)
    return init


class EntityTable(Generic[E]):
    """The plain get/add/save/delete of an entity whose attributes are its table's columns."""

    def __init__(self, uow: TransactionOwner, reads: ReadRunner, entity: type[E], table: Table) -> None:
        self._uow, self._reads, self._entity, self._table = uow, reads, entity, table
        self._statements = statements_for(table)
        self._init = _init_columns(entity, self._statements)
        # Each row as this repository last read or wrote it, by id: its version and its columns'
        # values as the driver takes them (``_values``), for ``save`` to write the difference.
        self._stored: dict[int, tuple[int, dict[str, Any]]] = {}

    def _remember(self, entity: E) -> None:
        self._stored[entity.id] = (getattr(entity, VERSION), self._values(entity))  # type: ignore[attr-defined]

    def entity_of(self, row: Sequence[Any]) -> E:
        """The entity of a row read for change (its id, its columns in table order, its version; also a
        part of a joined row), remembered for ``save``."""
        entity = self._entity_of(row)
        self._remember(entity)
        return entity

    def _values(self, entity: E, prefix: str = "") -> dict[str, Any]:
        statements = self._statements
        values = {}
        for column, codec in zip(statements.columns, statements.codecs(self._uow.dialect), strict=True):
            value = getattr(entity, column.name)
            if codec.write is not None and value is not None:
                value = codec.write(value)
            values[prefix + column.name] = value
        return values

    def _entity_of(self, row: Sequence[Any]) -> E:
        statements = self._statements
        given: dict[str, Any] = {}
        later: dict[str, Any] = {}
        for index, (column, codec, init) in enumerate(
                zip(statements.columns, statements.codecs(self._uow.dialect), self._init, strict=True), start=1):
            value = row[index]
            value = codec.read(value) if codec.read is not None and value is not None else value
            (given if init else later)[column.name] = value
        entity = self._entity(id=row[0], **given)  # type: ignore[call-arg]
        for name, value in later.items():
            setattr(entity, name, value)
        setattr(entity, VERSION, row[-1])
        return entity

    async def _written(self, query: PreparedQuery, parameters: Mapping[str, Any]) -> list[Any]:
        """The rows of a write; a constraint it breaks raised as what it means (database_errors.py),
        as a flush's would be: a unique key is the repository's documented refusal."""
        try:
            return await self._uow.write(query, parameters)
        except Exception as error:
            raise_as_domain_error(error)
            raise

    async def add(self, entity: E) -> None:
        values = self._values(entity)
        (row,) = await self._written(self._statements.insert, values)
        entity.id, version = row[0], row[1]  # type: ignore[attr-defined]
        setattr(entity, VERSION, version)
        self._stored[entity.id] = (version, values)  # type: ignore[attr-defined]

    async def get(self, entity_id: int) -> E | None:
        """The entity to change, read in the unit's transaction."""
        if not storable(entity_id):
            return None
        rows = await self._uow.write(self._statements.select, {"id": entity_id})
        return self.entity_of(rows[0]) if rows else None

    async def existing_ids(self, ids: Iterable[int]) -> set[int]:
        wanted = storable_only(ids)
        if not wanted:
            return set()
        return {row[0] for row in await self._reads.rows(self._statements.existing, {"ids": wanted})}

    async def save(self, entity: E) -> None:
        entity_id, version = entity.id, getattr(entity, VERSION)  # type: ignore[attr-defined]
        values = self._values(entity)
        stored = self._stored.get(entity_id)
        if stored is not None and stored[0] == version:
            before = stored[1]
            names = tuple(name for name, value in values.items() if before[name] != value)
            if not names:
                return  # read for change in this unit and unchanged since: nothing to write
            query = self._statements.update_of(names)
        else:
            names, query = tuple(values), self._statements.update
        parameters = {f"new_{name}": values[name] for name in names}
        parameters["id"], parameters["version"] = entity_id, version
        rows = await self._written(query, parameters)
        if not rows:
            self._stored.pop(entity_id, None)
            raise ConcurrentChangeError()  # changed or deleted since it was read
        setattr(entity, VERSION, rows[0][0])
        self._stored[entity_id] = (rows[0][0], values)

    async def delete(self, entity: E) -> None:
        # Rows that link to it (a doctor's designations, times...) go with it: ON DELETE CASCADE.
        rows = await self._written(self._statements.delete, {"id": entity.id,  # type: ignore[attr-defined]
                                                             "version": getattr(entity, VERSION)})
        if not rows:
            raise ConcurrentChangeError()
        self._stored.pop(entity.id, None)  # type: ignore[attr-defined]
