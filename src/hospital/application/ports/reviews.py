"""Reviews: the repository the write side changes, and the read port lists are served from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from hospital.application.pagination import Page, PageRequest
from hospital.domain.reviews import Rating, Review


class ReviewRepository(Protocol):
    async def add(self, review: Review) -> None:
        """Store a new review and give it an id.

        Raises AlreadyReviewedError if the reviewer already has a review of that doctor, even
        when another transaction wrote it a moment ago (the database's unique constraint).
        """
        ...

    async def get(self, review_id: int) -> Review | None:
        """The review to change, read with its reviewer's and doctor's names (``names_loaded``)."""
        ...

    def names_loaded(self, review: Review) -> ReviewNames | None:
        """The names read with ``review`` by ``get``, if its reviewer and doctor are still the ones they
        name (None: read the view instead). No statement: what a change answers with, its load's names."""
        ...

    async def exists(self, *, reviewer_id: int, doctor_id: int) -> bool: ...

    async def save(self, review: Review) -> None:
        """Persist changes to a review got from this repository; AlreadyReviewedError as in ``add``.
        ConcurrentChangeError if it changed or went since it was read (unit_of_work.py)."""
        ...

    async def delete(self, review: Review) -> None:
        """Remove it.
        ConcurrentChangeError if it changed or went since it was read (unit_of_work.py)."""
        ...


@dataclass(frozen=True, slots=True)
class ReviewView:
    """A review as readers see it, names resolved: what every review endpoint answers with, in the wire's
    names (``reviewer`` is the reviewer's name, ``doctor`` the doctor's id); ``reviewer_id`` is the
    reviewer's patient id, which the wire does not show."""

    id: int
    reviewer_id: int
    reviewer: str
    doctor: int
    doctor_name: str
    body: str
    created_on: date
    rating: int

    @property
    def stars(self) -> str:
        return Rating(self.rating).stars

    @classmethod
    def of(cls, review: Review, names: ReviewNames) -> ReviewView:
        """The view of a review as this unit wrote it, with its reviewer's and doctor's names."""
        assert review.id is not None
        return cls(id=review.id, reviewer_id=review.reviewer_id, reviewer=names.reviewer, doctor=review.doctor_id,
                   doctor_name=names.doctor, body=review.body, created_on=review.created_on,
                   rating=review.rating.value)


@dataclass(frozen=True, slots=True)
class ReviewNames:
    """The display names a review's view shows: its reviewer's and its doctor's."""

    reviewer: str
    doctor: str


@dataclass(frozen=True, slots=True)
class ReviewFilters:
    """None: no filter. ``search``: case-insensitive substring of the doctor's or reviewer's names."""

    doctor_id: int | None = None
    reviewer_id: int | None = None
    rating: int | None = None
    search: str = ""


class ReviewViews(Protocol):
    """The query side: rows straight to read models, a constant number of statements per page."""

    async def get(self, review_id: int) -> ReviewView | None: ...

    async def names(self, *, reviewer_id: int, doctor_id: int) -> ReviewNames | None:
        """The names a review of that doctor by that patient would show; None if there is no such
        doctor. The reviewer's name is empty if there is no such patient (no review of it can be stored)."""
        ...

    async def list(self, filters: ReviewFilters, page: PageRequest) -> Page[ReviewView]:
        """Ordered by id. ``search`` matches first name, last name and username of the doctor's
        user and of the reviewer's user; % and _ in it match literally."""
        ...
