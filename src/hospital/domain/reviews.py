"""Reviews: what a patient says of a doctor, with a rating of one to five stars."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from hospital.domain.actors import Actor
from hospital.domain.errors import (
    ConflictError,
    ErrorCollector,
    PermissionDeniedError,
    ValidationError,
)

BODY_MAX = 5000
RATING_MIN = 1
RATING_MAX = 5
STAR = "\u2b50"
# Many keyboards and emoji pickers send the star with the emoji-style variation selector after it.
_STARS = re.compile(rf"^(?:{STAR}\ufe0f?){{{RATING_MIN},{RATING_MAX}}}\Z")
_DIGITS = {str(value): value for value in range(RATING_MIN, RATING_MAX + 1)}


def _invalid_rating(raw: object) -> ValidationError:
    # The original's words, then what would have been accepted.
    return ValidationError.field("rating", f'"{raw}" is not a valid choice. Valid choices: '
                                           f'{RATING_MIN} to {RATING_MAX}, as a number or as stars ({STAR}).')


@dataclass(frozen=True, slots=True)
class Rating:
    value: int

    def __post_init__(self) -> None:
        # bool is an int subclass; True is not a rating of one.
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise _invalid_rating(self.value)
        if not RATING_MIN <= self.value <= RATING_MAX:
            raise _invalid_rating(self.value)

    @classmethod
    def parse(cls, raw: int | str | Rating) -> Rating:
        """An integer 1-5, its digit, or 1-5 stars (the wire form)."""
        if isinstance(raw, Rating):
            return raw
        if isinstance(raw, int) and not isinstance(raw, bool):
            return cls(raw)
        if isinstance(raw, str):
            if raw in _DIGITS:
                return cls(_DIGITS[raw])
            if _STARS.match(raw):
                return cls(raw.count(STAR))
        raise _invalid_rating(raw)

    @property
    def stars(self) -> str:
        return STAR * self.value


NULL_CHARACTERS = "Null characters are not allowed."


def _checked_body(body: str) -> str:
    if "\x00" in body:
        # As Django refused them; PostgreSQL cannot store them in text at all.
        raise ValidationError.field("body", NULL_CHARACTERS)
    body = body.strip()
    if not body:
        raise ValidationError.field("body", "This field may not be blank.")
    if len(body) > BODY_MAX:
        raise ValidationError.field("body", f"Ensure this field has no more than {BODY_MAX} characters.")
    return body


class AlreadyReviewedError(ConflictError):
    """A patient has one review per doctor; adapters raise it too when the database says so."""

    default_message = "You have already reviewed this doctor."


def _already_reviewed() -> ConflictError:
    return AlreadyReviewedError()


@dataclass(eq=False)
class Review:
    reviewer_id: int
    doctor_id: int
    body: str
    rating: Rating
    created_on: date
    id: int | None = None

    @classmethod
    def write(cls, reviewer_id: int, doctor_id: int, body: str, rating: int | str | Rating, today: date,
              already_reviewed: bool) -> Review:
        """``already_reviewed``: whether this patient has a review of this doctor (one each)."""
        errors = ErrorCollector()
        body = errors.collect(lambda: _checked_body(body))
        rating = errors.collect(lambda: Rating.parse(rating))
        errors.raise_if_any()
        if already_reviewed:
            raise _already_reviewed()
        return cls(reviewer_id=reviewer_id, doctor_id=doctor_id, body=body, rating=rating, created_on=today)

    def ensure_changeable_by(self, actor: Actor) -> None:
        # Reviews are public, so a stranger is refused, not told "not found".
        author = actor.patient_id is not None and actor.patient_id == self.reviewer_id
        if not (author or actor.is_admin):
            raise PermissionDeniedError()

    def edit(self, by: Actor, body: str | None = None, rating: int | str | Rating | None = None,
             doctor_id: int | None = None, already_reviewed_new_doctor: bool = False) -> None:
        """``already_reviewed_new_doctor``: whether the reviewer has a review of ``doctor_id`` already."""
        self.ensure_changeable_by(by)
        errors = ErrorCollector()
        if body is not None:
            body = errors.collect(lambda: _checked_body(body))
        if rating is not None:
            rating = errors.collect(lambda: Rating.parse(rating))
        errors.raise_if_any()
        moving = doctor_id is not None and doctor_id != self.doctor_id
        if moving and already_reviewed_new_doctor:
            raise _already_reviewed()
        if body is not None:
            self.body = body
        if rating is not None:
            self.rating = rating
        if moving:
            self.doctor_id = doctor_id
