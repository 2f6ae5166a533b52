"""SQLAlchemy patient list query: rows straight to read models, with the username joined in."""

from __future__ import annotations

from sqlalchemy import ColumnElement, String, bindparam, cast, false, func, or_, select

from hospital.adapters.sqlalchemy.direct_reads import ReadRunner
from hospital.adapters.sqlalchemy.integers import storable
from hospital.adapters.sqlalchemy.prepared import QueryShapes, bound
from hospital.adapters.sqlalchemy.search import contains_pattern, matches_any
from hospital.adapters.sqlalchemy.tables.accounts import patients as p
from hospital.adapters.sqlalchemy.tables.accounts import users as u
from hospital.adapters.sqlalchemy.tables.care import appointments as a
from hospital.application.pagination import Page, PageRequest
from hospital.application.ports.patients import PatientRow, PatientScope


def _conditions(scoped: bool, scope_patient: bool, scope_doctor: bool, phone: bool,
                search: bool) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if scoped:
        parts = []
        if scope_patient:
            parts.append(p.c.id == bindparam("scope_patient"))
        if scope_doctor:
            # A range of the (doctor_id, id) index on appointments.
            parts.append(p.c.id.in_(select(a.c.patient_id).where(a.c.doctor_id == bindparam("scope_doctor"))))
        conditions.append(or_(*parts) if parts else false())
    if phone:
        conditions.append(p.c.phone == bindparam("phone"))
    if search:
        conditions.append(matches_any(bindparam("search", type_=String), cast(p.c.id, String), u.c.username,
                                      p.c.phone))
    return conditions


_JOINED = p.join(u, u.c.id == p.c.user_id)


def _count(scoped: bool, scope_patient: bool, scope_doctor: bool, phone: bool, search: bool):
    # Only a search needs the username: a plain count stays on the patients table (every patient
    # has its user, a foreign key), which an admin's first page otherwise pays a join of every row for.
    counted = _JOINED if search else p
    return select(func.count()).select_from(counted).where(
        *_conditions(scoped, scope_patient, scope_doctor, phone, search))


_COUNT = QueryShapes(_count)
_PAGE = QueryShapes(
    lambda *shape: select(p.c.id, u.c.username, p.c.phone, p.c.profile).select_from(_JOINED)
    .where(*_conditions(*shape)).order_by(p.c.id).limit(bindparam("limit")).offset(bindparam("offset"))
)

_ONE = QueryShapes(
    lambda *shape: select(p.c.id, u.c.username, p.c.phone, p.c.profile).select_from(_JOINED)
    .where(p.c.id == bindparam("patient_id"), *_conditions(*shape))
)


class SqlAlchemyPatientQueries:
    """Two statements per page whatever its size: the count and the page."""

    def __init__(self, reads: ReadRunner) -> None:
        self._reads = reads

    async def get(self, patient_id: int, *, scope: PatientScope | None) -> PatientRow | None:
        if not storable(patient_id):
            return None
        shape, values = bound(scope_patient=scope.patient_id if scope else None,
                              scope_doctor=scope.doctor_id if scope else None)
        row = await self._reads.first(_ONE(scope is not None, *shape, False, False),
                                      {**values, "patient_id": patient_id})
        if row is None:
            return None
        row_id, username, phone, profile = row
        return PatientRow(id=row_id, user=username, phone=phone, profile=profile)

    async def list(self, *, page: PageRequest, scope: PatientScope | None, search: str = "",
                   phone: str | None = None) -> Page[PatientRow]:
        pattern = contains_pattern(search) if search else None
        if "\x00" in (phone or "") or (search and pattern is None):
            return Page([], 0, page)  # no stored text holds NUL, and PostgreSQL refuses it even as a parameter
        shape, values = bound(scope_patient=scope.patient_id if scope else None,
                              scope_doctor=scope.doctor_id if scope else None, phone=phone, search=pattern)
        shape = (scope is not None, *shape)
        total, rows = await self._reads.counted_page(_COUNT(*shape), _PAGE(*shape), values, page)
        items = [PatientRow(id=row_id, user=username, phone=row_phone, profile=profile)
                 for row_id, username, row_phone, profile in rows]
        return Page(items, total, page)
