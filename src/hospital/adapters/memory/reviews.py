"""In-memory reviews: the repository, with the database's one-review-per-doctor constraint, and the read port."""

from __future__ import annotations

from hospital.adapters.memory.database import InMemoryTable, InMemoryTransaction
from hospital.application.pagination import Page, PageRequest
from hospital.application.ports.reviews import ReviewFilters, ReviewNames, ReviewView
from hospital.domain.reviews import AlreadyReviewedError, Review
from hospital.domain.users import User, display_name


def _live(db: InMemoryTransaction, review: Review | None) -> Review | None:
    # The SQL tables delete a review with its doctor or patient (ON DELETE CASCADE); here a
    # review whose doctor or patient is gone is treated as deleted too.
    if review is None or review.reviewer_id not in db.table("patients") or review.doctor_id not in db.table("doctors"):
        return None
    return review


def _names(db: InMemoryTransaction, reviewer_id: int, doctor_id: int) -> ReviewNames | None:
    doctor = db.table("doctors").get(doctor_id)
    if doctor is None:
        return None
    users = db.table("users")
    patient = db.table("patients").get(reviewer_id)
    reviewer = users[patient.user_id].display_name if patient is not None else ""
    return ReviewNames(reviewer=reviewer, doctor=users[doctor.user_id].display_name)


class InMemoryReviewRepository(InMemoryTable):
    table_name = "reviews"

    def __init__(self, db: InMemoryTransaction) -> None:
        super().__init__(db)
        self._loaded: dict[int, tuple[int, int, ReviewNames]] = {}

    def _live_rows(self) -> list[Review]:
        return [review for review in self._sorted() if _live(self._db, review)]

    def _check_unique(self, review: Review) -> None:
        # What the SQL table's unique constraint does, so both adapters keep the same contract.
        for other in self._live_rows():
            if other is not review and (other.reviewer_id, other.doctor_id) == (review.reviewer_id, review.doctor_id):
                raise AlreadyReviewedError()

    async def add(self, review: Review) -> None:
        self._check_unique(review)
        self._insert(review)

    async def get(self, review_id: int) -> Review | None:
        review = _live(self._db, self._rows.get(review_id))
        if review is not None:
            # As the SQL repository: the names read with the review, for its change's answer.
            names = _names(self._db, review.reviewer_id, review.doctor_id)
            assert names is not None
            self._loaded[review_id] = (review.reviewer_id, review.doctor_id, names)
        return review

    def names_loaded(self, review: Review) -> ReviewNames | None:
        loaded = self._loaded.get(review.id) if review.id is not None else None
        if loaded is None or loaded[:2] != (review.reviewer_id, review.doctor_id):
            return None
        return loaded[2]

    async def exists(self, *, reviewer_id: int, doctor_id: int) -> bool:
        return any((r.reviewer_id, r.doctor_id) == (reviewer_id, doctor_id) for r in self._live_rows())

    async def save(self, review: Review) -> None:
        self._check_unique(review)
        self._store(review)

    async def delete(self, review: Review) -> None:
        self._remove(review)


class InMemoryReviewViews(InMemoryTable):
    table_name = "reviews"

    def _users_of(self, review: Review) -> tuple[User, User]:
        patient = self._db.table("patients")[review.reviewer_id]
        doctor = self._db.table("doctors")[review.doctor_id]
        users = self._db.table("users")
        return users[patient.user_id], users[doctor.user_id]

    def _view(self, review: Review) -> ReviewView:
        reviewer, doctor = self._users_of(review)
        assert review.id is not None
        return ReviewView(
            id=review.id, reviewer_id=review.reviewer_id,
            reviewer=display_name(reviewer.username, reviewer.first_name, reviewer.last_name),
            doctor=review.doctor_id,
            doctor_name=display_name(doctor.username, doctor.first_name, doctor.last_name),
            body=review.body, created_on=review.created_on, rating=review.rating.value,
        )

    def _matches(self, review: Review, filters: ReviewFilters) -> bool:
        if filters.doctor_id is not None and review.doctor_id != filters.doctor_id:
            return False
        if filters.reviewer_id is not None and review.reviewer_id != filters.reviewer_id:
            return False
        if filters.rating is not None and review.rating.value != filters.rating:
            return False
        if not filters.search:
            return True
        needle = filters.search.lower()
        names = [name for user in self._users_of(review) for name in (user.first_name, user.last_name, user.username)]
        return any(needle in name.lower() for name in names)

    async def get(self, review_id: int) -> ReviewView | None:
        review = _live(self._db, self._rows.get(review_id))
        return self._view(review) if review is not None else None

    async def names(self, *, reviewer_id: int, doctor_id: int) -> ReviewNames | None:
        return _names(self._db, reviewer_id, doctor_id)

    async def list(self, filters: ReviewFilters, page: PageRequest) -> Page[ReviewView]:
        matches = [r for r in self._sorted() if _live(self._db, r) and self._matches(r, filters)]
        window = matches[page.offset:page.offset + page.limit]
        return Page([self._view(review) for review in window], len(matches), page)
