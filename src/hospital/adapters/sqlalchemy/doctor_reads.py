"""The doctor read side: the database renders each doctor's JSON object around its labels' names;
a page is one statement and the objects' text joined.

The statement reads the page's doctors (one range read) with their users' names and renders each as
the JSON encoding of its read model (``DoctorViews``: keys in field order, compact, as msgspec writes
them) in two pieces, the text before the designations' names and the text after the
specialisations' names, with the JSON arrays of the doctor's designation and specialisation ids in
between (copies of the link tables that triggers keep, migration 0009). Then (UNION ALL) come the
designations' and specialisations' names, and Python puts each distinct array of ids' names in
place, encoded once per page: no read model, no wire object and no encoding per doctor. The read
models are decoded from the page's text when a Python caller asks for them.

Why the copies: a list per doctor read from the link tables was three correlated subqueries per
doctor (index searches on SQLite, subplans on PostgreSQL): about 4 ms of SQLite and 8-13 ms of
PostgreSQL for a page of 1,000, most of the statement.

Why the names are not put in by the database: on PostgreSQL each doctor's list of names was a
subplan with its own join and sort (24-34 ms of a page of 1,000); on SQLite a ``json_each`` and a
lookup per label cost 1.4 ms per list of a page of 1,000, more than all of the Python they replace.
The catalogues are small (the API lists each whole, unpaginated), so all of both are read with
every page: tens of rows.

The rendering must be byte for byte msgspec's (tests/integration/catalogue/test_doctor_json.py):
strings escape ``"``, backslash and the control characters, and nothing else, as SQLite's
``json_quote`` and PostgreSQL's ``to_json`` do; PostgreSQL's ``json_build_object`` puts spaces after
separators, so the objects are put together by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, Table, Text, bindparam, func, literal_column, null, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from hospital.adapters.doctor_views import doctor_views
from hospital.adapters.sqlalchemy.direct_reads import ReadRunner
from hospital.adapters.sqlalchemy.integers import storable, storable_only
from hospital.adapters.sqlalchemy.prepared import PreparedQuery, QueryShapes, bound, decoded_tuple, id_in
from hospital.adapters.sqlalchemy.tables import catalogue as t
from hospital.adapters.sqlalchemy.tables.accounts import users
from hospital.adapters.sqlalchemy.tables.versions import DOCTORS, data_versions
from hospital.application.pagination import Page, PageRequest
from hospital.application.ports.catalogue import DoctorFilters, DoctorReadModel, DoctorViews

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


class doctor_json_head(FunctionElement[str]):
    """The statement's doctor's JSON object up to its designations' names: ``{"id":..,"designation":``."""

    type = Text()
    inherit_cache = True


class doctor_json_tail(FunctionElement[str]):
    """The object after its specialisations' names: ``,"available_time":[..],..,"user_id":..}``."""

    type = Text()
    inherit_cache = True


# display_name() in SQL: names are stored stripped (normalize_name), so "first last".strip() is this.
_DISPLAY_NAME = (
    "CASE WHEN users.first_name = '' THEN "
    "CASE WHEN users.last_name = '' THEN users.username ELSE users.last_name END "
    "WHEN users.last_name = '' THEN users.first_name "
    "ELSE users.first_name || ' ' || users.last_name END"
)
# A stored empty image name is shown as no image, as the HTTP layer always showed it.
_HEAD = (
    """'{"id":' || doctors.id || ',"user":' || %(user)s || ',"profile":' || %(profile)s """
    """|| ',"designation":'"""
)
_TAIL = (
    """',"available_time":' || doctors.linked_available_time_ids || ',"fee":' || doctors.fee """
    """|| ',"meet_link":' || %(meet_link)s || ',"user_id":' || doctors.user_id || '}'"""
)


@compiles(doctor_json_head, "sqlite")
def _sqlite_head(element: doctor_json_head, compiler: Any, **kw: Any) -> str:
    return _HEAD % {"user": f"json_quote({_DISPLAY_NAME})", "profile": "json_quote(nullif(doctors.profile, ''))"}


@compiles(doctor_json_tail, "sqlite")
def _sqlite_tail(element: doctor_json_tail, compiler: Any, **kw: Any) -> str:
    return _TAIL % {"meet_link": "json_quote(doctors.meet_link)"}


@compiles(doctor_json_head)
def _postgresql_head(element: doctor_json_head, compiler: Any, **kw: Any) -> str:
    return _HEAD % {"user": f"to_json({_DISPLAY_NAME})::text",
                    "profile": "coalesce(to_json(nullif(doctors.profile, ''))::text, 'null')"}


@compiles(doctor_json_tail)
def _postgresql_tail(element: doctor_json_tail, compiler: Any, **kw: Any) -> str:
    return _TAIL % {"meet_link": "to_json(doctors.meet_link)::text"}


# A doctor's row: (id, head, designation ids, specialisation ids, tail); a label's name is a row
# (id, NULL, name, NULL, NULL) for a designation, (id, NULL, NULL, name, NULL) for a specialisation.
_CARD = (
    t.doctors.c.id, doctor_json_head(), t.doctors.c.linked_designation_ids, t.doctors.c.linked_specialisation_ids,
    doctor_json_tail(),
)


def _designation_names(designations: Table = t.designations):
    return select(designations.c.id, null(), designations.c.name, null(), null())


def _specialisation_names(specialisations: Table = t.specialisations):
    return select(specialisations.c.id, null(), null(), specialisations.c.name, null())


def _cards(*conditions: ColumnElement[bool]):
    return select(*_CARD).select_from(t.doctors.join(users, users.c.id == t.doctors.c.user_id)).where(*conditions)


def _count(*shape: bool):
    return select(func.count()).select_from(t.doctors).where(*_conditions(*shape))


def _page(*shape: bool):
    # The doctors' part keeps its ORDER BY and LIMIT in a subquery (a compound's parts cannot carry
    # them); the order of the whole is put back in Python (_views).
    doctors = (_cards(*_conditions(*shape)).order_by(t.doctors.c.id)
               .limit(bindparam("limit")).offset(bindparam("offset")))
    return union_all(select(doctors.subquery()), _designation_names(), _specialisation_names())


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
    # Each name looked up by its primary key from the doctor's links: a semi-join of the label table
    # let PostgreSQL scan it whole (its plan is chosen by row estimates, and a catalogue grows
    # between ANALYZEs).
    designations, specialisations = t.doctor_designations, t.doctor_specialisations
    designation = select(t.designations.c.name).where(t.designations.c.id == designations.c.designation_id)
    specialisation = select(t.specialisations.c.name).where(
        t.specialisations.c.id == specialisations.c.specialisation_id)
    return union_all(
        _cards(t.doctors.c.id == doctor),
        select(designations.c.designation_id, null(), designation.scalar_subquery(), null(), null())
        .where(designations.c.doctor_id == doctor),
        select(specialisations.c.specialisation_id, null(), null(), specialisation.scalar_subquery(), null())
        .where(specialisations.c.doctor_id == doctor),
    )


_ONE = PreparedQuery(_one())
_ENCODER = msgspec.json.Encoder()


class _NamedLists(dict[str, str]):
    """A column's id arrays (JSON text) as the JSON arrays of the labels' names, each made once."""

    def __init__(self, names: dict[int, str]) -> None:
        super().__init__()
        self._name = names.__getitem__

    def __missing__(self, ids: str) -> str:
        named = self[ids] = _ENCODER.encode(list(map(self._name, decoded_tuple(ids)))).decode()
        return named


def _views(rows: Sequence[Sequence[Any]]) -> DoctorViews:
    """The views of a card statement's rows, in id order: each doctor's pieces of text joined around
    the names of its labels. One pass, a few string copies per doctor."""
    designations: dict[int, str] = {}
    specialisations: dict[int, str] = {}
    doctors = []
    for row in rows:
        if row[1] is not None:
            doctors.append(row)
        elif row[2] is not None:
            designations[row[0]] = row[2]
        else:
            specialisations[row[0]] = row[3]
    doctors.sort(key=itemgetter(0))
    designated, specialised = _NamedLists(designations), _NamedLists(specialisations)
    objects = ",".join([
        f'{head}{designated[designation_ids]},"specialisation":{specialised[specialisation_ids]}{tail}'
        for _, head, designation_ids, specialisation_ids, tail in doctors
    ])
    return doctor_views(f"[{objects}]".encode(), len(doctors))


class SqlAlchemyDoctorReadQueries:
    def __init__(self, reads: ReadRunner) -> None:
        self._reads = reads

    async def page(self, *, page: PageRequest, filters: DoctorFilters = DoctorFilters()) -> Page[DoctorReadModel]:
        if filters.fee is not None and not storable(filters.fee):
            return Page(_views([]), 0, page)  # a fee no column can hold matches no doctor
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
