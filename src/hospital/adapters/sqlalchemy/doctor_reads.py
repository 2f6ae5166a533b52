"""The doctor read side: SQL rows straight to read models, in three statements per page.

One counts, one reads the page's doctors with their users' names, and one reads every
designation name, specialisation name and time id of the whole page together; so the cost
of a page does not grow with its size (no query per doctor).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import ColumnElement, String, bindparam, cast, func, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from hospital.adapters.sqlalchemy.integers import storable, storable_only
from hospital.adapters.sqlalchemy.tables import catalogue as t
from hospital.adapters.sqlalchemy.tables.accounts import users
from hospital.application.pagination import Page, PageRequest
from hospital.application.ports.catalogue import DoctorFilters, DoctorReadModel
from hospital.domain.users import display_name

_DOCTOR_COLUMNS = (
    t.doctors.c.id, t.doctors.c.user_id, t.doctors.c.profile, t.doctors.c.fee, t.doctors.c.meet_link,
    users.c.username, users.c.first_name, users.c.last_name,
)


def _linked_to_any(link_column: ColumnElement[int], link_doctor: ColumnElement[int],
                   wanted: tuple[int, ...]) -> ColumnElement[bool]:
    ids = storable_only(wanted)
    return t.doctors.c.id.in_(select(link_doctor).where(link_column.in_(ids)))


def _conditions(filters: DoctorFilters) -> list[ColumnElement[bool]]:
    conditions = []
    links = (
        (filters.designation, t.doctor_designations.c.designation_id, t.doctor_designations.c.doctor_id),
        (filters.specialisation, t.doctor_specialisations.c.specialisation_id,
         t.doctor_specialisations.c.doctor_id),
        (filters.available_time, t.doctor_available_times.c.available_time_id,
         t.doctor_available_times.c.doctor_id),
    )
    for wanted, link_column, link_doctor in links:
        if wanted:
            conditions.append(_linked_to_any(link_column, link_doctor, wanted))
    if filters.fee is not None:
        # A fee no column can hold matches no doctor, rather than failing the query.
        conditions.append(t.doctors.c.fee == filters.fee if storable(filters.fee) else literal(False))
    return conditions


def _links_query():
    """(kind, doctor id, linked id, name) for every link of the doctors ``doctor_ids``, in one statement."""
    doctor_ids = bindparam("doctor_ids", expanding=True)
    names = (
        ("designation", t.doctor_designations, t.doctor_designations.c.designation_id, t.designations),
        ("specialisation", t.doctor_specialisations, t.doctor_specialisations.c.specialisation_id,
         t.specialisations),
    )
    parts = [
        select(literal(kind).label("kind"), link.c.doctor_id, column.label("linked_id"), target.c.name)
        .join(target, target.c.id == column)
        .where(link.c.doctor_id.in_(doctor_ids))
        for kind, link, column, target in names
    ]
    times = t.doctor_available_times
    parts.append(
        select(literal("available_time").label("kind"), times.c.doctor_id,
               times.c.available_time_id.label("linked_id"), cast(null(), String).label("name"))
        .where(times.c.doctor_id.in_(doctor_ids))
    )
    return union_all(*parts).order_by("kind", "doctor_id", "linked_id")


# Built once: constructing these per request cost more than running them (docs/benchmarks.md).
_LINKS = _links_query()
_PAGE = (
    select(*_DOCTOR_COLUMNS).join(users, users.c.id == t.doctors.c.user_id)
    .order_by(t.doctors.c.id).offset(bindparam("offset")).limit(bindparam("limit"))
)
_COUNT = select(func.count()).select_from(t.doctors)
_ONE = select(*_DOCTOR_COLUMNS).join(users, users.c.id == t.doctors.c.user_id).where(
    t.doctors.c.id == bindparam("doctor_id")
)


class SqlAlchemyDoctorReadQueries:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _views(self, rows: Sequence) -> list[DoctorReadModel]:
        if not rows:
            return []
        linked: dict[tuple[str, int], list] = defaultdict(list)
        links = await self._session.execute(_LINKS, {"doctor_ids": [r.id for r in rows]})
        for kind, doctor_id, linked_id, name in links:
            linked[kind, doctor_id].append(linked_id if kind == "available_time" else name)
        return [
            DoctorReadModel(
                id=row.id, user_id=row.user_id,
                user=display_name(row.username, row.first_name, row.last_name), profile=row.profile,
                designation=tuple(linked["designation", row.id]),
                specialisation=tuple(linked["specialisation", row.id]),
                available_time=tuple(linked["available_time", row.id]), fee=row.fee, meet_link=row.meet_link,
            )
            for row in rows
        ]

    async def page(self, *, page: PageRequest, filters: DoctorFilters = DoctorFilters()) -> Page[DoctorReadModel]:
        conditions = _conditions(filters)
        total = await self._session.scalar(_COUNT.where(*conditions) if conditions else _COUNT) or 0
        query = _PAGE.where(*conditions) if conditions else _PAGE
        rows = []
        if page.offset < total:
            rows = (await self._session.execute(query, {"offset": page.offset, "limit": page.limit})).all()
        return Page(await self._views(rows), total, page)

    async def get(self, doctor_id: int) -> DoctorReadModel | None:
        if not storable(doctor_id):
            return None
        views = await self._views((await self._session.execute(_ONE, {"doctor_id": doctor_id})).all())
        return views[0] if views else None
