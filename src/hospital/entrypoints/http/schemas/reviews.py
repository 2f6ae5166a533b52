"""Reviews on the wire: ratings go out as stars and come in as stars or the integers 1 to 5."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, ClassVar

import msgspec
from msgspec import UNSET, Meta, UnsetType

from hospital.application.ports.reviews import ReviewView
from hospital.domain.reviews import Rating

RatingIn = Annotated[
    int | str,
    Meta(description="1 to 5 \u2b50, or an integer 1 to 5", examples=["\u2b50\u2b50\u2b50\u2b50\u2b50", 5]),
]
DoctorId = Annotated[int, Meta(description="The reviewed doctor's id")]


class ReviewWrite(msgspec.Struct):
    """POST and PUT: every field required. The reviewer is the caller, never a field."""

    doctor: DoctorId
    body: str
    rating: RatingIn

    # Checks of one field alone, reported with a missing field's error (body.py, _every_error).
    field_checks: ClassVar[dict[str, Callable[[Any], object]]] = {"rating": Rating.parse}


class ReviewPatch(msgspec.Struct):
    doctor: DoctorId | UnsetType = UNSET
    body: str | UnsetType = UNSET
    rating: RatingIn | UnsetType = UNSET

    field_checks: ClassVar[dict[str, Callable[[Any], object]]] = {"rating": Rating.parse}


class ReviewOut(msgspec.Struct):
    id: int
    reviewer: Annotated[str, Meta(description="The reviewer's full name, or username when they gave none")]
    doctor_name: str
    body: str
    created_on: date
    rating: Annotated[str, Meta(examples=["\u2b50\u2b50\u2b50\u2b50\u2b50"])]
    doctor: int  # not in the guide; lets clients link to the doctor without matching names

    @classmethod
    def of(cls, view: ReviewView) -> ReviewOut:
        return cls(
            id=view.id, reviewer=view.reviewer, doctor_name=view.doctor_name, body=view.body,
            created_on=view.created_on, rating=view.stars, doctor=view.doctor,
        )
