"""Reviews: anyone reads them; a patient writes one per doctor; its author or an admin changes it."""

from __future__ import annotations

from dataclasses import dataclass

from hospital.application import auditing
from hospital.application.access import require_authenticated
from hospital.application.auditing import Attempt, attempt, entry
from hospital.application.ids import is_valid_id
from hospital.application.pagination import Page, PageRequest
from hospital.application.ports.audit import AuditLog
from hospital.application.ports.clock import Clock
from hospital.application.ports.read_side import ReadSide
from hospital.application.ports.reviews import ReviewFilters, ReviewView
from hospital.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from hospital.application.retry import rerun_on_concurrent_change
from hospital.domain.actors import Actor
from hospital.domain.audit import AuditAction, ResourceType
from hospital.domain.errors import DomainError, ErrorCollector, NotFoundError, PermissionDeniedError, ValidationError
from hospital.domain.reviews import NULL_CHARACTERS, Rating, Review

NOT_A_PATIENT = "Only patients can write reviews."


@dataclass(frozen=True, slots=True)
class ReviewDraft:
    """What a patient sends to review a doctor: the doctor's id, the text and the rating."""

    doctor: int
    body: str
    rating: int | str  # 1-5, its digit, or 1-5 stars


@dataclass(frozen=True, slots=True)
class ReviewChanges:
    """None leaves a field as it is."""

    doctor: int | None = None
    body: str | None = None
    rating: int | str | None = None


@dataclass(frozen=True, slots=True)
class ReviewQuery:
    """List filters as the caller gave them; None means no filter."""

    doctor: int | None = None
    reviewer: int | None = None
    rating: int | str | None = None  # stars or 1-5, like the rating of a review
    search: str = ""


def _unknown_doctor(doctor_id: int) -> dict[str, list[str]]:
    return {"doctor": [f'Invalid pk "{doctor_id}" - object does not exist.']}


def _with_unknown_doctor(unknown: dict[str, list[str]], error: ValidationError) -> ValidationError:
    """Every problem at once: the doctor's beside the fields the domain refused."""
    return ValidationError({**unknown, **error.errors}) if unknown else error


class ReviewUseCase:
    """The review use cases' shared wiring and access rules."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, audit: AuditLog) -> None:
        self._uow, self._clock, self._audit = uow, clock, audit

    @staticmethod
    async def _view(uow: UnitOfWork, review_id: int | None) -> ReviewView:
        view = await uow.review_views.get(review_id) if review_id is not None else None
        if view is None:
            raise NotFoundError()
        return view

    @staticmethod
    async def _changeable(uow: UnitOfWork, actor: Actor, review_id: int, attempt: Attempt | None = None) -> Review:
        require_authenticated(actor)
        review = await uow.reviews.get(review_id) if is_valid_id(review_id) else None
        if review is None:
            raise NotFoundError()
        if attempt is not None:  # the patient who wrote it, refused or not
            attempt.concerns(review.reviewer_id)
        # Reviews are public: a stranger learns nothing from a 403 that GET would not tell them.
        review.ensure_changeable_by(actor)
        return review

    @staticmethod
    async def _doctor_exists(uow: UnitOfWork, doctor_id: int) -> bool:
        return is_valid_id(doctor_id) and await uow.doctors.exists(doctor_id)


class ListReviews:
    """Public: a page of reviews, filterable by reviewer and doctor. Audited: one event naming every
    reviewer (a patient) on the page, with the filters."""

    def __init__(self, reads: ReadSide, audit: AuditLog) -> None:
        self._reads, self._audit = reads, audit

    async def __call__(self, actor: Actor, *, page: PageRequest, query: ReviewQuery | None = None) -> Page[ReviewView]:
        query = query or ReviewQuery()
        filters: dict[str, object] = {"doctor": query.doctor, "reviewer": query.reviewer, "rating": query.rating,
                                      "search": query.search}
        return await auditing.searched(self._audit, actor, ResourceType.REVIEW, self._list(page, query),
                                       lambda found: [view.reviewer_id for view in found.items], filters)

    @rerun_on_concurrent_change
    async def _list(self, page: PageRequest, query: ReviewQuery) -> Page[ReviewView]:
        errors = ErrorCollector()
        rating = errors.collect(lambda: Rating.parse(query.rating).value if query.rating is not None else None)
        if "\x00" in query.search:
            errors.add("search", NULL_CHARACTERS)  # no name holds one, and PostgreSQL refuses it
        errors.raise_if_any()
        ids = (query.doctor, query.reviewer)
        if any(value is not None and not is_valid_id(value) for value in ids):
            return Page([], 0, page)  # such an id names no doctor or patient
        filters = ReviewFilters(doctor_id=query.doctor, reviewer_id=query.reviewer, rating=rating,
                                search=query.search.strip())
        return await self._reads.reviews.list(filters, page)


class GetReview:
    """Public: one review; an unknown id is 404. Audited: the reviewer is the patient concerned."""

    def __init__(self, reads: ReadSide, audit: AuditLog) -> None:
        self._reads, self._audit = reads, audit

    async def __call__(self, actor: Actor, review_id: int) -> ReviewView:
        try:
            view = await self._get(review_id)
        except DomainError as error:
            await auditing.refused(self._audit, actor, AuditAction.READ, ResourceType.REVIEW, error,
                                   resource_id=review_id)
            raise
        await auditing.read(self._audit, actor, ResourceType.REVIEW, view.id, view.reviewer_id)
        return view

    @rerun_on_concurrent_change
    async def _get(self, review_id: int) -> ReviewView:
        view = await self._reads.reviews.get(review_id) if is_valid_id(review_id) else None
        if view is None:
            raise NotFoundError()
        return view


class CreateReview(ReviewUseCase):
    """The reviewer is always the caller's patient record, never something the caller names."""

    async def __call__(self, actor: Actor, draft: ReviewDraft) -> ReviewView:
        async with attempt(self._audit, actor, AuditAction.CREATE, ResourceType.REVIEW, patient_id=actor.patient_id):
            return await self._create(actor, draft)

    @rerun_on_concurrent_change
    async def _create(self, actor: Actor, draft: ReviewDraft) -> ReviewView:
        require_authenticated(actor)
        reviewer_id = actor.patient_id
        if reviewer_id is None:
            raise PermissionDeniedError(NOT_A_PATIENT)
        async with self._uow() as uow:
            # Read before the transaction opens (the unit's first write opens it): the doctor's
            # existence with the names the answer shows. The one-review-each rule is the store's
            # unique key, checked by the INSERT itself: no statement for it in the transaction.
            names = (await uow.review_views.names(reviewer_id=reviewer_id, doctor_id=draft.doctor)
                     if is_valid_id(draft.doctor) else None)
            unknown = {} if names is not None else _unknown_doctor(draft.doctor)
            try:
                review = Review.write(
                    reviewer_id=reviewer_id, doctor_id=draft.doctor, body=draft.body, rating=draft.rating,
                    today=self._clock.now().date(), already_reviewed=False,
                )
            except ValidationError as error:
                raise _with_unknown_doctor(unknown, error) from None
            if unknown:
                raise ValidationError(unknown)
            assert names is not None
            await uow.reviews.add(review)  # AlreadyReviewedError if the patient has a review of this doctor
            view = ReviewView.of(review, names)
            await uow.audit.append(entry(actor, AuditAction.CREATE, ResourceType.REVIEW, resource_id=review.id,
                                         patient_ids=[reviewer_id]))
            await uow.commit()
        return view


class UpdateReview(ReviewUseCase):
    """PUT and PATCH alike: only what is given changes. Moving to another doctor keeps the one-each rule."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, review_id: int, changes: ReviewChanges) -> ReviewView:
        async with attempt(self._audit, actor, AuditAction.UPDATE, ResourceType.REVIEW,
                           resource_id=review_id) as attempted, self._uow() as uow:
            review = await self._changeable(uow, actor, review_id, attempted)
            unknown: dict[str, list[str]] = {}
            already = False
            if changes.doctor is not None and changes.doctor != review.doctor_id:
                if await self._doctor_exists(uow, changes.doctor):
                    already = await uow.reviews.exists(reviewer_id=review.reviewer_id, doctor_id=changes.doctor)
                else:
                    unknown = _unknown_doctor(changes.doctor)
            try:
                review.edit(actor, body=changes.body, rating=changes.rating, doctor_id=changes.doctor,
                            already_reviewed_new_doctor=already)
            except ValidationError as error:
                raise _with_unknown_doctor(unknown, error) from None
            if unknown:
                raise ValidationError(unknown)  # the edit is rolled back with the unit of work
            await uow.reviews.save(review)
            # The names read with the review at its load, unless it moved to another doctor.
            names = uow.reviews.names_loaded(review)
            view = ReviewView.of(review, names) if names is not None else await self._view(uow, review.id)
            await uow.audit.append(entry(actor, AuditAction.UPDATE, ResourceType.REVIEW, resource_id=review_id,
                                         patient_ids=[review.reviewer_id]))
            await uow.commit()
        return view


class DeleteReview(ReviewUseCase):
    """The review's author or an admin deletes it."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, review_id: int) -> None:
        async with attempt(self._audit, actor, AuditAction.DELETE, ResourceType.REVIEW,
                           resource_id=review_id) as attempted, self._uow() as uow:
            review = await self._changeable(uow, actor, review_id, attempted)
            await uow.reviews.delete(review)
            await uow.audit.append(entry(actor, AuditAction.DELETE, ResourceType.REVIEW, resource_id=review_id,
                                         patient_ids=[review.reviewer_id]))
            await uow.commit()
