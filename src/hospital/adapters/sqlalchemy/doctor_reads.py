"""The doctor read side: each doctor's JSON object rendered by the database, a page in one statement.

The statement reads the page's doctors (one range read) with their users' names and, on each
doctor's row, the JSON arrays of its designation, specialisation and time ids (copies of the link
tables that triggers keep, migration 0009), and renders each doctor as the JSON encoding of its
read model (``DoctorViews``: keys in field order, compact, as msgspec writes them), the label ids
replaced by the labels' names (a primary-key lookup per label on SQLite; on PostgreSQL one index
scan per doctor). Python only joins the objects into an array: no read model, no wire object and
no encoding per doctor. The read models are decoded from that text when a Python caller asks.

Why the copies: a list per doctor read from the link tables was three correlated subqueries per
doctor (index searches on SQLite, subplans on PostgreSQL): about 4 ms of SQLite and 8-13 ms of
PostgreSQL for a page of 1,000, most of the statement.

The rendering must be byte for byte msgspec's (tests/integration/catalogue/test_doctor_json.py):
strings escape ``"``, ``\\`` and the control characters (``\\n``, ``\\t``, ``\\r``, ``\\b``,
``\\f``, the others ``\\u00xx``) and nothing else; PostgreSQL's ``json_build_object`` and ``json_agg``
put spaces after separators, so there the text is put together by hand around ``to_json``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Text, bindparam, func, literal_column, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from hospital.adapters.doctor_views import doctor_views
from hospital.adapters.sqlalchemy.direct_reads import ReadRunner
from hospital.adapters.sqlalchemy.integers import storable, storable_only
from hospital.adapters.sqlalchemy.prepared import PreparedQuery, QueryShapes, bound, id_in
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


class doctor_json(FunctionElement[str]):
    """The doctor of the statement's ``doctors`` and ``users`` rows as its read model's JSON text."""

    type = Text()
    inherit_cache = True


# display_name() in SQL: names are stored stripped (normalize_name), so "first last".strip() is this.
_DISPLAY_NAME = (
    "CASE WHEN users.first_name = '' THEN "
    "CASE WHEN users.last_name = '' THEN users.username ELSE users.last_name END "
    "WHEN users.last_name = '' THEN users.first_name "
    "ELSE users.first_name || ' ' || users.last_name END"
)


def _sqlite_names(catalogue: str, ids: str) -> str:
    # json_each walks the array in its order (the ids' order); each name is a primary-key lookup.
    return (f"json((SELECT json_group_array((SELECT name FROM {catalogue} WHERE {catalogue}.id = ids.value)) "  # noqa: S608
            f"FROM json_each(doctors.{ids}) AS ids))")


@compiles(doctor_json, "sqlite")
def _sqlite_doctor_json(element: doctor_json, compiler: Any, **kw: Any) -> str:
    return (
        f"json_object('id', doctors.id, 'user', {_DISPLAY_NAME}, 'profile', nullif(doctors.profile, ''), "
        f"'designation', {_sqlite_names('designations', 'linked_designation_ids')}, "
        f"'specialisation', {_sqlite_names('specialisations', 'linked_specialisation_ids')}, "
        "'available_time', json(doctors.linked_available_time_ids), 'fee', doctors.fee, "
        "'meet_link', doctors.meet_link, 'user_id', doctors.user_id)"
    )


def _postgresql_names(catalogue: str, ids: str) -> str:
    # The copies are in id order, so the names in id order are in the ids' order.
    return (f"(SELECT '[' || coalesce(string_agg(to_json({catalogue}.name)::text, ',' ORDER BY {catalogue}.id), '') "  # noqa: S608
            f"|| ']' FROM {catalogue} WHERE {catalogue}.id = ANY(translate(doctors.{ids}, '[]', '{{}}')::integer[]))")


@compiles(doctor_json)
def _postgresql_doctor_json(element: doctor_json, compiler: Any, **kw: Any) -> str:
    return (
        f"""'{{"id":' || doctors.id || ',"user":' || to_json({_DISPLAY_NAME})::text """
        """|| ',"profile":' || coalesce(to_json(nullif(doctors.profile, ''))::text, 'null') """
        f"""|| ',"designation":' || {_postgresql_names('designations', 'linked_designation_ids')} """
        f"""|| ',"specialisation":' || {_postgresql_names('specialisations', 'linked_specialisation_ids')} """
        """|| ',"available_time":' || doctors.linked_available_time_ids || ',"fee":' || doctors.fee """
        """|| ',"meet_link":' || to_json(doctors.meet_link)::text || ',"user_id":' || doctors.user_id || '}'"""
    )


def _doctors(*conditions: ColumnElement[bool]):
    return select(doctor_json()).select_from(t.doctors.join(users, users.c.id == t.doctors.c.user_id)).where(
        *conditions)


def _count(*shape: bool):
    return select(func.count()).select_from(t.doctors).where(*_conditions(*shape))


def _page(*shape: bool):
    return (_doctors(*_conditions(*shape)).order_by(t.doctors.c.id)
            .limit(bindparam("limit")).offset(bindparam("offset")))


_COUNT = QueryShapes(_count)
_PAGE = QueryShapes(_page)
_VERSION = PreparedQuery(
    select(data_versions.c.version).where(data_versions.c.name == literal_column(f"'{DOCTORS}'"))
)
# One doctor's view reads the names of its own labels only (as every doctor does): it is the answer
# of every doctor write too, read in the writer's turn, so its cost must not grow with the catalogues.
_ONE = PreparedQuery(_doctors(t.doctors.c.id == bindparam("doctor_id")))


def _views(rows: list[Any]) -> DoctorViews:
    return doctor_views(b"[" + ",".join([row[0] for row in rows]).encode() + b"]")


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
        rows = await self._reads.rows(_ONE, {"doctor_id": doctor_id})
        return _views(rows)[0] if rows else None

    async def version(self) -> int:
        # No row yet: no doctor data was ever written.
        return await self._reads.shared_value(_VERSION) or 0
