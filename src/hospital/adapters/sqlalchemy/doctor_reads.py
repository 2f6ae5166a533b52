"""The doctor read side: SQL rows straight to read models, in two statements per page.

One counts; one reads the page's doctors with their users' names and, on each doctor's row, the JSON
arrays of its designation, specialisation and time ids (copies of the link tables that triggers keep,
migration 0009), followed (UNION ALL) by the designations' and specialisations' names, which Python
puts in place of the ids. So the number of statements does not grow with the page (no query per
doctor), a page is one range read of doctors, and the names and the links come from one statement,
one snapshot: every id has its name.

Why the copies: a list per doctor read from the link tables was three correlated subqueries per
doctor (index searches on SQLite, subplans on PostgreSQL): about 4 ms of SQLite and 8-13 ms of
PostgreSQL for a page of 1,000, most of the statement.

Why the names are not joined per doctor: on PostgreSQL each doctor's list of names was a subplan
with its own join and sort: 24-34 ms of a page of 1,000, against 8-13 ms for the ids alone; on
SQLite a join per link. The catalogues are small (the API lists each whole, unpaginated), so all of
both are read with every page: tens of rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, bindparam, func, literal_column, null, select, union_all

from hospital.adapters.sqlalchemy.direct_reads import ReadRunner
from hospital.adapters.sqlalchemy.integers import storable, storable_only
from hospital.adapters.sqlalchemy.prepared import PreparedQuery, QueryShapes, bound, decoded_tuple, id_in
from hospital.adapters.sqlalchemy.tables import catalogue as t
from hospital.adapters.sqlalchemy.tables.accounts import users
from hospital.adapters.sqlalchemy.tables.versions import DOCTORS, data_versions
from hospital.application.pagination import Page, PageRequest
from hospital.application.ports.catalogue import DoctorFilters, DoctorReadModel
from hospital.domain.users import display_name

_DOCTOR_COLUMNS = (
    t.doctors.c.id, t.doctors.c.user_id, t.doctors.c.profile, t.doctors.c.fee, t.doctors.c.meet_link,
    users.c.username, users.c.first_name, users.c.last_name,
)
_LINK_FILTERS = (
    ("designation", t.doctor_designations.c.designation_id, t.doctor_designations.c.doctor_id),
    ("specialisation", t.doctor_specialisations.c.specialisation_id, t.doctor_specialisations.c.doctor_id),
    ("available_time", t.doctor_available_times.c.available_time_id, t.doctor_available_times.c.doctor_id),
)


_LISTS = ("designation", "specialisation", "available_time")


def _conditions(designation: bool, specialisation: bool, available_time: bool,
                fee: bool) -> list[ColumnElement[bool]]:
    """The filters present, each bound to a parameter of its own name; a doctor matches a link
    filter when linked to any of its ids."""
    wanted = {"designation": designation, "specialisation": specialisation, "available_time": available_time}
    conditions: list[ColumnElement[bool]] = [
        t.doctors.c.id.in_(select(link_doctor).where(id_in(link_column, bindparam(name))))
        for name, link_column, link_doctor in _LINK_FILTERS if wanted[name]
    ]
    if fee:
        conditions.append(t.doctors.c.fee == bindparam("fee"))
    return conditions


# Each doctor's labels' ids are on its own row: the link tables' copies, kept by triggers (migration
# 0009; docs/architecture.md, "Doctor link copies"), so a page is one range read of doctors.
_CARD = (
    *_DOCTOR_COLUMNS,
    t.doctors.c.linked_designation_ids, t.doctors.c.linked_specialisation_ids, t.doctors.c.linked_available_time_ids,
)
# The names the ids stand for, as rows of the card's shape: (id, NULL, name, which catalogue, NULL...).
# A doctor always has a user_id, so a NULL there marks a name.
_DESIGNATION, _SPECIALISATION = 1, 2


def _names(target: Table, which: int):
    padding = [null()] * (len(_CARD) - 4)
    return select(target.c.id, null(), target.c.name, literal_column(str(which)), *padding)


_NAMES = (_names(t.designations, _DESIGNATION), _names(t.specialisations, _SPECIALISATION))


def _with_names(doctors: Select[Any]):
    # The doctors' part keeps its ORDER BY and LIMIT in a subquery (a compound's parts cannot carry
    # them); the order of the whole is put back in Python (_views).
    return union_all(select(doctors.subquery()), *_NAMES)


def _count(*shape: bool):
    return select(func.count()).select_from(t.doctors).where(*_conditions(*shape))


def _page(*shape: bool):
    return _with_names(
        select(*_CARD).join(users, users.c.id == t.doctors.c.user_id).where(*_conditions(*shape))
        .order_by(t.doctors.c.id).limit(bindparam("limit")).offset(bindparam("offset"))
    )


_COUNT = QueryShapes(_count)
_PAGE = QueryShapes(_page)
_VERSION = PreparedQuery(
    select(data_versions.c.version).where(data_versions.c.name == literal_column(f"'{DOCTORS}'"))
)


def _one():
    """One doctor's card and the names of its own labels only. Not the whole catalogues, as a page
    reads them: this view is the answer of every doctor write too, read in the writer's turn, and a
    catalogue of thousands (the bench's creates leave 4,000 of each) made PATCH /doctors/ 25 ms of
    CPU instead of 4 on SQLite, holding the writer. The links are read from the link tables, whose
    copies the card carries (the same transaction's triggers keep them equal)."""
    doctor = bindparam("doctor_id")
    own = [
        _names(target, which).where(target.c.id.in_(select(link_label).where(link_doctor == doctor)))
        for target, which, link_label, link_doctor in (
            (t.designations, _DESIGNATION, t.doctor_designations.c.designation_id,
             t.doctor_designations.c.doctor_id),
            (t.specialisations, _SPECIALISATION, t.doctor_specialisations.c.specialisation_id,
             t.doctor_specialisations.c.doctor_id),
        )
    ]
    card = select(*_CARD).join(users, users.c.id == t.doctors.c.user_id).where(t.doctors.c.id == doctor)
    return union_all(card, *own)


_ONE = PreparedQuery(_one())


def _views(rows: Sequence[Sequence[Any]]) -> list[DoctorReadModel]:
    """The read models of a card statement's rows, in id order, each id of a label its name.

    One pass, the least Python per doctor (a page of 1,000 is otherwise milliseconds of it): each
    distinct label array is decoded and named once per page (a few hundred combinations of a few
    dozen labels; equal tuples are shared, as they may be, being immutable), and each read model is
    made with positional arguments (keywords cost a dataclass three times as much).
    """
    names: dict[int, dict[int, str]] = {_DESIGNATION: {}, _SPECIALISATION: {}}
    doctors = []
    for row in rows:
        if row[1] is None:
            names[row[3]][row[0]] = row[2]
        else:
            doctors.append(row)
    doctors.sort(key=itemgetter(0))
    designations = _LabelNames(names[_DESIGNATION])
    specialisations = _LabelNames(names[_SPECIALISATION])
    times = _LabelIds()
    return [
        DoctorReadModel(doctor_id, user_id, display_name(username, first_name, last_name), profile,
                        designations[designation_ids], specialisations[specialisation_ids], times[time_ids],
                        fee, meet_link)
        for (doctor_id, user_id, profile, fee, meet_link, username, first_name, last_name,
             designation_ids, specialisation_ids, time_ids) in doctors
    ]


class _LabelIds(dict[str, tuple[int, ...]]):
    """A column's id arrays (JSON text, on both backends) as tuples, each decoded once."""

    def __missing__(self, ids: str) -> tuple[int, ...]:
        decoded = self[ids] = decoded_tuple(ids)
        return decoded


class _LabelNames(dict[str, tuple[str, ...]]):
    """A column's id arrays (JSON text) as tuples of the labels' names, each array named once."""

    def __init__(self, names: dict[int, str]) -> None:
        super().__init__()
        self._name = names.__getitem__

    def __missing__(self, ids: str) -> tuple[str, ...]:
        named = self[ids] = tuple(map(self._name, decoded_tuple(ids)))
        return named


class SqlAlchemyDoctorReadQueries:
    def __init__(self, reads: ReadRunner) -> None:
        self._reads = reads

    async def page(self, *, page: PageRequest, filters: DoctorFilters = DoctorFilters()) -> Page[DoctorReadModel]:
        if filters.fee is not None and not storable(filters.fee):
            return Page([], 0, page)  # a fee no column can hold matches no doctor
        shape, values = bound(
            **{name: storable_only(ids) if (ids := getattr(filters, name)) else None for name in _LISTS},
            fee=filters.fee,
        )
        total, rows = await self._reads.counted_page(_COUNT(*shape), _PAGE(*shape), values, page)
        return Page(_views(rows), total, page)

    async def get(self, doctor_id: int) -> DoctorReadModel | None:
        if not storable(doctor_id):
            return None
        views = _views(await self._reads.rows(_ONE, {"doctor_id": doctor_id}))
        return views[0] if views else None

    async def version(self) -> int:
        # No row yet: no doctor data was ever written.
        return await self._reads.shared_value(_VERSION) or 0
