"""SQLAlchemy patient list query: rows straight to read models, with the username joined in."""

from __future__ import annotations

from sqlalchemy import ColumnElement, String, cast, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hospital.adapters.sqlalchemy.search import contains_any
from hospital.adapters.sqlalchemy.tables.accounts import patients as p
from hospital.adapters.sqlalchemy.tables.accounts import users as u
from hospital.adapters.sqlalchemy.tables.care import appointments as a
from hospital.application.pagination import Page, PageRequest
from hospital.application.ports.patients import PatientRow, PatientScope


def scope_condition(scope: PatientScope | None) -> ColumnElement[bool] | None:
    if scope is None:
        return None
    parts = []
    if scope.patient_id is not None:
        parts.append(p.c.id == scope.patient_id)
    if scope.doctor_id is not None:
        # A range of the (doctor_id, id) index on appointments.
        parts.append(p.c.id.in_(select(a.c.patient_id).where(a.c.doctor_id == scope.doctor_id)))
    return or_(*parts) if parts else false()


class SqlAlchemyPatientQueries:
    """Two statements per page whatever its size: the count and the page."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def list(self, *, page: PageRequest, scope: PatientScope | None, search: str = "",
                   phone: str | None = None) -> Page[PatientRow]:
        conditions: list[ColumnElement[bool]] = []
        if (scoped := scope_condition(scope)) is not None:
            conditions.append(scoped)
        if phone is not None:
            # No stored phone holds NUL, and PostgreSQL refuses it even as a parameter.
            conditions.append(p.c.phone == phone if "\x00" not in phone else false())
        if search:
            conditions.append(contains_any(search, cast(p.c.id, String), u.c.username, p.c.phone))
        joined = p.join(u, u.c.id == p.c.user_id)
        total = await self._session.scalar(select(func.count()).select_from(joined).where(*conditions)) or 0
        rows = await self._session.execute(
            select(p.c.id, u.c.username, p.c.phone, p.c.profile).select_from(joined).where(*conditions)
            .order_by(p.c.id).offset(page.offset).limit(page.limit)
        )
        items = [PatientRow(id=row.id, username=row.username, phone=row.phone, profile=row.profile) for row in rows]
        return Page(items, total, page)
