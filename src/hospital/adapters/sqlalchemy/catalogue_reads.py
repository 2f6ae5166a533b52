"""The read side of the catalogue's small resources: designations, specialisations, available
times, services and contact requests, each a table read straight into its read model."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields
from datetime import time
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Table, bindparam, select

from hospital.adapters.sqlalchemy.direct_reads import ReadRunner
from hospital.adapters.sqlalchemy.integers import storable
from hospital.adapters.sqlalchemy.prepared import PreparedQuery
from hospital.adapters.sqlalchemy.tables import catalogue as t
from hospital.application.ports.catalogue import AvailableTimeView, ContactView, MedicalServiceView, TaxonView
from hospital.domain.time_windows import format_clock

V = TypeVar("V")


class TableReads(Generic[V]):
    """Every row of one table by id, or one row: each read model field a column of the same name."""

    def __init__(self, reads: ReadRunner, table: Table, view: Callable[..., V],
                 columns: Sequence[ColumnElement[Any]] | None = None) -> None:
        self._reads, self._view = reads, view
        if columns is None:
            columns = [table.c[field.name] for field in fields(view)]  # type: ignore[arg-type]
        self._all = PreparedQuery(select(*columns).order_by(table.c.id))
        self._one = PreparedQuery(select(*columns).where(table.c.id == bindparam("id")))

    async def list(self) -> list[V]:
        return [self._view(*row) for row in await self._reads.rows(self._all)]

    async def get(self, row_id: int) -> V | None:
        if not storable(row_id):
            return None
        row = await self._reads.first(self._one, {"id": row_id})
        return None if row is None else self._view(*row)


def _clock(value: Any) -> str | None:
    """A window's wall-clock hour, as the driver gives it (asyncpg: a time; sqlite3: its text)."""
    if value is None:
        return None
    return format_clock(value if isinstance(value, time) else time.fromisoformat(str(value)))


def _available_time(row_id: int, label: str, start: Any, end: Any) -> AvailableTimeView:
    return AvailableTimeView(id=row_id, time=label, start=_clock(start), end=_clock(end))


class SqlAlchemyAvailableTimeReads(TableReads[AvailableTimeView]):
    def __init__(self, reads: ReadRunner) -> None:
        times = t.available_times
        super().__init__(reads, times, _available_time,
                         [times.c.id, times.c.time, times.c.window_start, times.c.window_end])

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
