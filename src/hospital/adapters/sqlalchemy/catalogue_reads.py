"""The read side of the catalogue's small resources: designations, specialisations, available
times, services and contact requests, each a table read straight into its read model."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Table, bindparam, select

from hospital.adapters.sqlalchemy.direct_reads import ReadRunner
from hospital.adapters.sqlalchemy.integers import storable
from hospital.adapters.sqlalchemy.prepared import PreparedQuery
from hospital.adapters.sqlalchemy.tables import catalogue as t
from hospital.application.ports.catalogue import AvailableTimeView, ContactView, MedicalServiceView, TaxonView

V = TypeVar("V")


class TableReads(Generic[V]):
    """Every row of one table by id, or one row: each read model field a column of the same name."""

    def __init__(self, reads: ReadRunner, table: Table, view: Callable[..., V]) -> None:
        self._reads, self._view = reads, view
        columns: Sequence[ColumnElement[Any]] = [table.c[field.name] for field in fields(view)]  # type: ignore[arg-type]
        self._all = PreparedQuery(select(*columns).order_by(table.c.id))
        self._one = PreparedQuery(select(*columns).where(table.c.id == bindparam("id")))

    async def list(self) -> list[V]:
        return [self._view(*row) for row in await self._reads.rows(self._all)]

    async def get(self, row_id: int) -> V | None:
        if not storable(row_id):
            return None
        row = await self._reads.first(self._one, {"id": row_id})
        return None if row is None else self._view(*row)


class SqlAlchemyAvailableTimeReads(TableReads[AvailableTimeView]):
    def __init__(self, reads: ReadRunner) -> None:
        super().__init__(reads, t.available_times, AvailableTimeView)

    async def list(self, *, time_id: int | None = None) -> list[AvailableTimeView]:  # type: ignore[override]
        if time_id is None:
            return await super().list()
        time = await self.get(time_id)
        return [] if time is None else [time]


def taxon_reads(reads: ReadRunner, table: Table) -> TableReads[TaxonView]:
    return TableReads(reads, table, TaxonView)


def medical_service_reads(reads: ReadRunner) -> TableReads[MedicalServiceView]:
    return TableReads(reads, t.services, MedicalServiceView)


def contact_reads(reads: ReadRunner) -> TableReads[ContactView]:
    return TableReads(reads, t.contacts, ContactView)
