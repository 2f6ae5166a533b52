"""SQLAlchemy appointments: the repository, and the list query that goes from rows to read models."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, exists, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hospital.adapters.sqlalchemy.integers import storable
from hospital.adapters.sqlalchemy.tables.care import appointments as a
from hospital.application.pagination import Page, PageRequest
from hospital.application.ports.appointments import AppointmentRow, AppointmentScope
from hospital.domain.appointments import Appointment


class SqlAlchemyAppointmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, appointment: Appointment) -> None:
        self._session.add(appointment)
        await self._session.flush()

    async def get(self, appointment_id: int) -> Appointment | None:
        if not storable(appointment_id):
            return None
        return await self._session.get(Appointment, appointment_id)

    async def save(self, appointment: Appointment) -> None:
        await self._session.flush()

    async def delete(self, appointment: Appointment) -> None:
        await self._session.delete(appointment)
        await self._session.flush()

    async def exists_between(self, *, patient_id: int, doctor_id: int) -> bool:
        condition = (a.c.patient_id == patient_id) & (a.c.doctor_id == doctor_id)
        return bool(await self._session.scalar(select(exists().where(condition))))


def scope_condition(scope: AppointmentScope | None) -> ColumnElement[bool] | None:
    """Each part is an equality on the leading column of an (x_id, id) index, so a scoped page is
    an index range scan already in id order (or, for a doctor who is also a patient, two of them)."""
    if scope is None:
        return None
    parts = []
    if scope.patient_id is not None:
        parts.append(a.c.patient_id == scope.patient_id)
    if scope.doctor_id is not None:
        parts.append(a.c.doctor_id == scope.doctor_id)
    return or_(*parts) if parts else false()


_ROW = (a.c.id, a.c.patient_id, a.c.doctor_id, a.c.appointment_type, a.c.status, a.c.symptoms, a.c.time_id,
        a.c.cancelled)


def _conditions(scope: AppointmentScope | None, patient_id: int | None,
                doctor_id: int | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if (scoped := scope_condition(scope)) is not None:
        conditions.append(scoped)
    for column, wanted in ((a.c.patient_id, patient_id), (a.c.doctor_id, doctor_id)):
        if wanted is not None:
            conditions.append(column == wanted if storable(wanted) else false())
    return conditions


def page_statement(page: PageRequest, scope: AppointmentScope | None, patient_id: int | None = None,
                   doctor_id: int | None = None) -> Select:
    return (
        select(*_ROW).where(*_conditions(scope, patient_id, doctor_id))
        .order_by(a.c.id).offset(page.offset).limit(page.limit)
    )


class SqlAlchemyAppointmentQueries:
    """Two statements per page whatever its size: the count and the page."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def list(self, *, page: PageRequest, scope: AppointmentScope | None,
                   patient_id: int | None = None, doctor_id: int | None = None) -> Page[AppointmentRow]:
        conditions = _conditions(scope, patient_id, doctor_id)
        total = await self._session.scalar(select(func.count()).select_from(a).where(*conditions)) or 0
        rows = await self._session.execute(page_statement(page, scope, patient_id, doctor_id))
        items = [
            AppointmentRow(
                id=row.id, patient_id=row.patient_id, doctor_id=row.doctor_id,
                appointment_type=str(row.appointment_type), status=str(row.status), symptoms=row.symptoms,
                time_id=row.time_id, cancelled=row.cancelled,
            )
            for row in rows
        ]
        return Page(items, total, page)
