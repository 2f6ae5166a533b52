"""SQLAlchemy reviews: the repository of the write side and the read queries of lists."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, String, bindparam, func, select

from hospital.adapters.sqlalchemy.direct_reads import ReadRunner
from hospital.adapters.sqlalchemy.entity_table import VERSION, EntityTable, TransactionOwner, statements_for
from hospital.adapters.sqlalchemy.integers import storable
from hospital.adapters.sqlalchemy.prepared import PreparedQuery, QueryShapes, bound
from hospital.adapters.sqlalchemy.search import contains_pattern, matches_any
from hospital.adapters.sqlalchemy.tables.accounts import patients, users
from hospital.adapters.sqlalchemy.tables.care import reviews
from hospital.adapters.sqlalchemy.tables.catalogue import doctors
from hospital.application.pagination import Page, PageRequest
from hospital.application.ports.reviews import ReviewFilters, ReviewNames, ReviewView
from hospital.domain.reviews import Rating, Review
from hospital.domain.users import display_name

reviewer_users = users.alias("reviewer_users")
doctor_users = users.alias("doctor_users")
NAMES = (
    doctor_users.c.first_name, doctor_users.c.last_name, doctor_users.c.username,
    reviewer_users.c.first_name, reviewer_users.c.last_name, reviewer_users.c.username,
)


def _joined(query: Select[Any]) -> Select[Any]:
    """Reviews with their reviewer's and doctor's users, whose names the views show."""
    return (
        query.select_from(reviews)
        .join(patients, patients.c.id == reviews.c.reviewer_id)
        .join(reviewer_users, reviewer_users.c.id == patients.c.user_id)
        .join(doctors, doctors.c.id == reviews.c.doctor_id)
        .join(doctor_users, doctor_users.c.id == doctors.c.user_id)
    )


_REVIEWED = PreparedQuery(select(reviews.c.id).where(reviews.c.reviewer_id == bindparam("reviewer_id"),
                                                      reviews.c.doctor_id == bindparam("doctor_id")))


# The review to change as EntityTable reads it (id, attributes, version), then its doctor's and reviewer's
# names, which the change answers with: one statement, so the row's lock is not held across a read of
# them after the save. Only the review's row is locked (FOR UPDATE OF), as EntityTable.get locks it.
_ROW_COLUMNS = (reviews.c.id, *statements_for(reviews).columns, reviews.c[VERSION])
_NAMED_FOR_CHANGE = PreparedQuery(
    _joined(select(*_ROW_COLUMNS, *NAMES)).where(reviews.c.id == bindparam("id")).with_for_update(of=reviews))


class SqlAlchemyReviewRepository(EntityTable[Review]):
    """One row each, one prepared statement per write (entity_table.py). Two identical creates at once
    both pass the use case's check; the unique constraint stops one (AlreadyReviewedError,
    database_errors.py). The column holds the number of stars; the entity a ``Rating``."""

    def __init__(self, uow: TransactionOwner, reads: ReadRunner) -> None:
        super().__init__(uow, reads, Review, reviews)
        # By review id: the reviewer and doctor ids its load named, and their names.
        self._names: dict[int, tuple[int, int, ReviewNames]] = {}

    async def get(self, entity_id: int) -> Review | None:
        if not storable(entity_id):
            return None
        rows = await self._uow.write(_NAMED_FOR_CHANGE, {"id": entity_id})
        if not rows:
            return None
        row, split = tuple(rows[0]), len(_ROW_COLUMNS)
        review = self.entity_of(row[:split])
        doctor_first, doctor_last, doctor_username, reviewer_first, reviewer_last, reviewer_username = row[split:]
        self._names[entity_id] = (review.reviewer_id, review.doctor_id, ReviewNames(
            reviewer=display_name(reviewer_username, reviewer_first, reviewer_last),
            doctor=display_name(doctor_username, doctor_first, doctor_last)))
        return review

    def names_loaded(self, review: Review) -> ReviewNames | None:
        loaded = self._names.get(review.id) if review.id is not None else None
        if loaded is None or loaded[:2] != (review.reviewer_id, review.doctor_id):
            return None
        return loaded[2]

    def _values(self, entity: Review, prefix: str = "") -> dict[str, Any]:
        values = super()._values(entity, prefix)
        values[prefix + "rating"] = entity.rating.value
        return values

    def _entity_of(self, row: Sequence[Any]) -> Review:
        review = super()._entity_of(row)
        review.rating = Rating(review.rating)  # type: ignore[arg-type]  # the stored number of stars
        return review

    async def exists(self, *, reviewer_id: int, doctor_id: int) -> bool:
        """In the unit's transaction: a review it wrote or moved counts."""
        if not (storable(reviewer_id) and storable(doctor_id)):
            return False
        return bool(await self._uow.write(_REVIEWED, {"reviewer_id": reviewer_id, "doctor_id": doctor_id}))


VIEW_QUERY = _joined(select(
    reviews.c.id, reviews.c.reviewer_id,
    reviewer_users.c.username, reviewer_users.c.first_name, reviewer_users.c.last_name,
    reviews.c.doctor_id, doctor_users.c.username, doctor_users.c.first_name, doctor_users.c.last_name,
    reviews.c.body, reviews.c.created_on, reviews.c.rating,
))


def _view(row: Sequence[Any]) -> ReviewView:
    (review_id, reviewer_id, reviewer_username, reviewer_first, reviewer_last,
     doctor_id, doctor_username, doctor_first, doctor_last, body, created_on, rating) = row
    return ReviewView(
        id=review_id, reviewer_id=reviewer_id,
        reviewer=display_name(reviewer_username, reviewer_first, reviewer_last),
        doctor=doctor_id, doctor_name=display_name(doctor_username, doctor_first, doctor_last),
        # SQLite answers a DATE as its ISO text.
        body=body, created_on=date.fromisoformat(created_on) if isinstance(created_on, str) else created_on,
        rating=rating,
    )


def _conditions(doctor: bool, reviewer: bool, rating: bool, search: bool) -> list[ColumnElement[bool]]:
    conditions = []
    if doctor:
        conditions.append(reviews.c.doctor_id == bindparam("doctor_id"))
    if reviewer:
        conditions.append(reviews.c.reviewer_id == bindparam("reviewer_id"))
    if rating:
        conditions.append(reviews.c.rating == bindparam("rating"))
    if search:
        conditions.append(matches_any(bindparam("search", type_=String), *NAMES))
    return conditions


def _count(doctor: bool, reviewer: bool, rating: bool, search: bool) -> Select[Any]:
    # Only a search needs the names; a plain count stays on the reviews table and its indexes.
    counted = _joined(select(func.count())) if search else select(func.count()).select_from(reviews)
    return counted.where(*_conditions(doctor, reviewer, rating, search))


_COUNT = QueryShapes(_count)
_PAGE = QueryShapes(
    lambda *shape: VIEW_QUERY.where(*_conditions(*shape)).order_by(reviews.c.id)
    .limit(bindparam("limit")).offset(bindparam("offset"))
)
_ONE = PreparedQuery(VIEW_QUERY.where(reviews.c.id == bindparam("review_id")))


_REVIEWER_USERS = patients.join(reviewer_users, reviewer_users.c.id == patients.c.user_id)
# The reviewer's part is an outer join on a condition of its own: no such patient leaves it NULL
# rather than hiding the doctor.
_NAMES_OF_PAIR = PreparedQuery(
    select(*NAMES).select_from(
        doctors.join(doctor_users, doctor_users.c.id == doctors.c.user_id)
        .outerjoin(_REVIEWER_USERS, patients.c.id == bindparam("reviewer_id")))
    .where(doctors.c.id == bindparam("doctor_id"))
)


class SqlAlchemyReviewViews:
    """Rows straight to read models: two statements a page (count, rows), whatever its size."""

    def __init__(self, reads: ReadRunner) -> None:
        self._reads = reads

    async def get(self, review_id: int) -> ReviewView | None:
        if not storable(review_id):
            return None
        row = await self._reads.first(_ONE, {"review_id": review_id})
        return _view(row) if row is not None else None

    async def names(self, *, reviewer_id: int, doctor_id: int) -> ReviewNames | None:
        if not storable(doctor_id):
            return None
        row = await self._reads.first(_NAMES_OF_PAIR, {"doctor_id": doctor_id,
                                                        "reviewer_id": reviewer_id if storable(reviewer_id) else 0})
        if row is None:
            return None
        doctor_first, doctor_last, doctor_username, reviewer_first, reviewer_last, reviewer_username = row
        reviewer = "" if reviewer_username is None else display_name(reviewer_username, reviewer_first, reviewer_last)
        return ReviewNames(reviewer=reviewer, doctor=display_name(doctor_username, doctor_first, doctor_last))

    async def list(self, filters: ReviewFilters, page: PageRequest) -> Page[ReviewView]:
        pattern = contains_pattern(filters.search) if filters.search else None
        unmatchable = (
            (filters.search and pattern is None)
            or not all(storable(wanted) for wanted in (filters.doctor_id, filters.reviewer_id) if wanted is not None)
            or not 1 <= (filters.rating or 1) <= 5  # the column's check; a SMALLINT could not even bind more
        )
        if unmatchable:
            return Page([], 0, page)
        shape, values = bound(doctor_id=filters.doctor_id, reviewer_id=filters.reviewer_id, rating=filters.rating,
                              search=pattern)
        total, rows = await self._reads.counted_page(_COUNT(*shape), _PAGE(*shape), values, page)
        return Page([_view(row) for row in rows], total, page)
