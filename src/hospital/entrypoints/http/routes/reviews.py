"""/reviews/: anyone lists and reads; patients write; the author or an admin changes or deletes."""

from __future__ import annotations

import re
from typing import Annotated

from litestar import Request, delete, get, patch, post, put
from litestar.params import FromPath, QueryParameter
from msgspec import UNSET

from hospital.application.reviews import ReviewChanges, ReviewDraft, ReviewQuery
from hospital.domain.errors import ErrorCollector, ValidationError
from hospital.entrypoints.http import openapi
from hospital.entrypoints.http.body import read_body, to_struct
from hospital.entrypoints.http.dependencies import CurrentActor, Services
from hospital.entrypoints.http.pagination import Paginated, page_request, paginated
from hospital.entrypoints.http.params import LimitsParam, PageParam, SearchParam
from hospital.entrypoints.http.schemas.reviews import ReviewOut, ReviewPatch, ReviewWrite

TAGS = ["Reviews"]
PATH = "/reviews/"
ITEM = "/reviews/{review_id:int}/"
ReviewId = FromPath[int]
# ASCII digits only (int() would also take " 7", "1_000" and other scripts' digits), and few
# enough of them that int() stays cheap: no id is longer.
_INTEGER = re.compile(r"^-?[0-9]{1,20}\Z")


# What _id and Rating.parse accept, for the schema: blank (no filter), an id, 1-5 or 1-5 stars.
REVIEW_ID_PATTERN = "^(?:-?[0-9]{1,20})?$"
RATING_PATTERN = "^(?:[1-5]|(?:\u2b50\ufe0f?){1,5})?$"


def _id_param(name: str, description: str):
    return Annotated[str | None, QueryParameter(name=name, description=description, required=False,
                                                schema_extra={"pattern": REVIEW_ID_PATTERN})]


DoctorParam = _id_param("doctor", "Only reviews of this doctor (id)")
ReviwerParam = _id_param("reviwer", "Only reviews by this patient (id); the guide's spelling")
ReviewerParam = _id_param("reviewer", "Same as reviwer")
RatingParam = Annotated[
    str | None,
    QueryParameter(name="rating", description="Stars (\u2b50\u2b50\u2b50) or 1-5", required=False, max_length=50,
                   schema_extra={"pattern": RATING_PATTERN}),
]


def _id(name: str, raw: str | None) -> int | None:
    """An empty value is no filter, as in the original's filters."""
    if raw is None or raw == "":
        return None
    if not _INTEGER.match(raw):
        raise ValidationError.field(name, "A valid integer is required.")
    return int(raw)


def _query(doctor: str | None, reviwer: str | None, reviewer: str | None, rating: str | None,
           search: str | None) -> ReviewQuery:
    errors = ErrorCollector()
    doctor_id = errors.collect(lambda: _id("doctor", doctor))
    # Both spellings work; the guide's wins when a client sends both.
    reviewer_name, reviewer_raw = ("reviwer", reviwer) if reviwer not in (None, "") else ("reviewer", reviewer)
    reviewer_id = errors.collect(lambda: _id(reviewer_name, reviewer_raw))
    errors.raise_if_any()
    return ReviewQuery(doctor=doctor_id, reviewer=reviewer_id, rating=rating or None, search=search or "")


def _changes(data: ReviewWrite | ReviewPatch) -> ReviewChanges:
    return ReviewChanges(
        doctor=None if data.doctor is UNSET else data.doctor,
        body=None if data.body is UNSET else data.body,
        rating=None if data.rating is UNSET else data.rating,
    )


@get(PATH, tags=TAGS, responses=openapi.errors(400, 404), summary="List reviews")
async def list_reviews(request: Request, container: Services, actor: CurrentActor, page: PageParam = None,
                       limits: LimitsParam = None, doctor: DoctorParam = None, reviwer: ReviwerParam = None,
                       reviewer: ReviewerParam = None, rating: RatingParam = None,
                       search: SearchParam = None) -> Paginated[ReviewOut]:
    query = _query(doctor, reviwer, reviewer, rating, search)
    result = await container.list_reviews()(actor, page=page_request(request), query=query)
    return paginated(request, result, ReviewOut.of)


@post(PATH, tags=TAGS, security=openapi.BEARER, operation_class=openapi.body(ReviewWrite, item=ITEM), status_code=201,
      responses=openapi.errors(400, 401, 403), summary="Review a doctor (as the caller's patient record)")
async def create_review(request: Request, container: Services, actor: CurrentActor) -> ReviewOut:
    data = to_struct(ReviewWrite, await read_body(request))
    draft = ReviewDraft(doctor=data.doctor, body=data.body, rating=data.rating)
    return ReviewOut.of(await container.create_review()(actor, draft))


@get(ITEM, tags=TAGS, responses=openapi.errors(404), summary="Get a review")
async def get_review(container: Services, actor: CurrentActor, review_id: ReviewId) -> ReviewOut:
    return ReviewOut.of(await container.get_review()(actor, review_id))


@put(ITEM, tags=TAGS, security=openapi.BEARER, operation_class=openapi.body(ReviewWrite),
     responses=openapi.errors(401, 403, 404, 409), summary="Update a review")
async def put_review(request: Request, container: Services, actor: CurrentActor, review_id: ReviewId) -> ReviewOut:
    changes = _changes(to_struct(ReviewWrite, await read_body(request)))
    return ReviewOut.of(await container.update_review()(actor, review_id, changes))


@patch(ITEM, tags=TAGS, security=openapi.BEARER, operation_class=openapi.body(ReviewPatch, required=False),
       responses=openapi.errors(401, 403, 404, 409), summary="Partially update a review")
async def patch_review(request: Request, container: Services, actor: CurrentActor,
                       review_id: ReviewId) -> ReviewOut:
    changes = _changes(to_struct(ReviewPatch, await read_body(request)))
    return ReviewOut.of(await container.update_review()(actor, review_id, changes))


@delete(ITEM, tags=TAGS, security=openapi.BEARER, responses=openapi.errors(401, 403, 404, 409),
        summary="Delete a review")
async def delete_review(container: Services, actor: CurrentActor, review_id: ReviewId) -> None:
    await container.delete_review()(actor, review_id)


HANDLERS = [list_reviews, create_review, get_review, put_review, patch_review, delete_review]
