"""The read side of profiles: each with its user, in one statement per page (and one to count)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, String, bindparam, func, select

from hospital.adapters.sqlalchemy.direct_reads import ReadRunner
from hospital.adapters.sqlalchemy.integers import storable
from hospital.adapters.sqlalchemy.prepared import PreparedQuery, QueryShapes
from hospital.adapters.sqlalchemy.read_values import plain_date, utc_datetime
from hospital.adapters.sqlalchemy.search import contains_pattern, matches_any
from hospital.adapters.sqlalchemy.tables.accounts import patients
from hospital.adapters.sqlalchemy.tables.accounts import user_profiles as p
from hospital.adapters.sqlalchemy.tables.accounts import users as u
from hospital.application.pagination import Page, PageRequest
from hospital.application.ports.accounts import ProfileView, UserView

_COLUMNS = (
    p.c.id, u.c.id, u.c.username, u.c.email, u.c.first_name, u.c.last_name, u.c.is_staff, u.c.is_active,
    u.c.date_joined, p.c.bio, p.c.address, p.c.date_of_birth, p.c.profile_picture, p.c.created_at,
    p.c.updated_at, patients.c.id,
)
_JOINED = p.join(u, u.c.id == p.c.user_id)
# With the patient record of the profile's user: whose data it is, to the audit log (one row at most:
# patients.user_id is unique).
_WITH_PATIENT = _JOINED.outerjoin(patients, patients.c.user_id == p.c.user_id)
# Searches with more terms than this are compiled for the request alone, not kept.
_KEPT_TERMS = 8


def _conditions(by_user: bool, terms: int) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if by_user:
        conditions.append(p.c.user_id == bindparam("user_id"))
    # Every term is found in one of the fields.
    conditions.extend(
        matches_any(bindparam(f"term_{index}", type_=String), u.c.username, u.c.email, u.c.first_name,
                    u.c.last_name)
        for index in range(terms)
    )
    return conditions


def _count(by_user: bool, terms: int):
    # Only a search needs the users' fields: a plain count stays on the profiles table.
    return select(func.count()).select_from(_JOINED if terms else p).where(*_conditions(by_user, terms))


def _page(by_user: bool, terms: int):
    return (select(*_COLUMNS).select_from(_WITH_PATIENT).where(*_conditions(by_user, terms)).order_by(p.c.id)
            .limit(bindparam("limit")).offset(bindparam("offset")))


_COUNT = QueryShapes(_count)
_PAGE = QueryShapes(_page)
_BY_ID = PreparedQuery(select(*_COLUMNS).select_from(_WITH_PATIENT).where(p.c.id == bindparam("profile_id")))
_BY_USER = PreparedQuery(select(*_COLUMNS).select_from(_WITH_PATIENT).where(p.c.user_id == bindparam("user_id")))


def _view(row: Sequence[Any]) -> ProfileView:
    (profile_id, user_id, username, email, first_name, last_name, is_staff, is_active, date_joined, bio, address,
     date_of_birth, picture, created_at, updated_at, patient_id) = row
    user = UserView(id=user_id, username=username, email=email, first_name=first_name, last_name=last_name,
                    is_staff=bool(is_staff), is_active=bool(is_active), date_joined=utc_datetime(date_joined))
    return ProfileView(id=profile_id, user=user, bio=bio, address=address, date_of_birth=plain_date(date_of_birth),
                       profile_picture=picture, created_at=utc_datetime(created_at),
                       updated_at=utc_datetime(updated_at), patient_id=patient_id)


class SqlAlchemyProfileReads:
    def __init__(self, reads: ReadRunner) -> None:
        self._reads = reads

    async def page(self, *, page: PageRequest, search: Sequence[str] = (),
                   user_id: int | None = None) -> Page[ProfileView]:
        if user_id is not None and not storable(user_id):
            return Page([], 0, page)
        patterns = [contains_pattern(term) for term in dict.fromkeys(search)]
        if any(pattern is None for pattern in patterns):
            return Page([], 0, page)  # no stored text holds NUL
        values: dict[str, Any] = {f"term_{index}": pattern for index, pattern in enumerate(patterns)}
        if user_id is not None:
            values["user_id"] = user_id
        shape = (user_id is not None, len(patterns))
        if len(patterns) <= _KEPT_TERMS:
            count, rows = _COUNT(*shape), _PAGE(*shape)
        else:
            count, rows = PreparedQuery(_count(*shape)), PreparedQuery(_page(*shape))
        total, found = await self._reads.counted_page(count, rows, values, page)
        return Page([_view(row) for row in found], total, page)

    async def get(self, profile_id: int) -> ProfileView | None:
        if not storable(profile_id):
            return None
        row = await self._reads.first(_BY_ID, {"profile_id": profile_id})
        return None if row is None else _view(row)

    async def get_by_user(self, user_id: int) -> ProfileView | None:
        if not storable(user_id):
            return None
        row = await self._reads.first(_BY_USER, {"user_id": user_id})
        return None if row is None else _view(row)
