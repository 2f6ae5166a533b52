"""/doctors: paginated list with filters, create, {id} get/put/patch/delete; ``profile`` is a file."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated

import msgspec
from litestar import Request, delete, get, patch, post, put
from litestar.params import FromPath, QueryParameter
from msgspec import UNSET

from hospital.application.doctors import DoctorChanges
from hospital.application.ports.catalogue import DoctorFilters, DoctorReadModel, DoctorViews
from hospital.entrypoints.http import openapi
from hospital.entrypoints.http.body import RequestBody, read_body, to_struct
from hospital.entrypoints.http.dependencies import CurrentActor, Services
from hospital.entrypoints.http.filters import integer_value, integer_values
from hospital.entrypoints.http.media import media_prefix
from hospital.entrypoints.http.pagination import Paginated, page_request, paginated_results
from hospital.entrypoints.http.params import INTEGER_FILTER_PATTERN, LimitsParam, PageParam
from hospital.entrypoints.http.response_cache import cached_response
from hospital.entrypoints.http.schemas.doctors import DoctorOut, DoctorWrite

TAGS = ["Doctors"]
PATH = "/doctors/"
ITEM = "/doctors/{doctor_id:int}/"
WRITE_DOC = openapi.body(DoctorWrite, files=("profile",), item=ITEM)
# PATCH with no body changes nothing and answers 200, so its body is optional.
PATCH_DOC = openapi.body(DoctorWrite, files=("profile",), required=False)
ID_LISTS = ("designation", "specialisation", "available_time")
_FLAT_JSON_ARRAY = re.compile(r"\s*\[[^\[\]{}]*\]\s*")


def _filter(description: str):
    return Annotated[str | None, QueryParameter(description=description, required=False,
                                                schema_extra={"pattern": INTEGER_FILTER_PATTERN})]


SpecialisationParam = _filter("Only doctors with this specialisation id")
DesignationParam = _filter("Only doctors with this designation id")
FeeParam = _filter("Only doctors with exactly this fee")
AvailableTimeParam = _filter("Only doctors offering this available time id")


def render(request: Request, doctor: DoctorReadModel) -> DoctorOut:
    profile = media_prefix(request) + doctor.profile if doctor.profile else None
    return DoctorOut(doctor.id, doctor.user, profile, doctor.designation, doctor.specialisation,
                     doctor.available_time, doctor.fee, doctor.meet_link, doctor.user_id)


_PROFILE_KEY = b'"profile":"'
_ENCODER = msgspec.json.Encoder()


def rendered_all(media: str, doctors: Sequence[DoctorReadModel]) -> msgspec.Raw:
    """``doctors`` on the wire, as the JSON array of ``DoctorOut``: their read models' text as storage
    rendered it (``DoctorViews``; the same keys in the same order), each stored image name put under
    ``media`` (``media_prefix``). No object per doctor: a page of 1,000 is a few copies of its text.

    The key ``"profile":"`` is found only where it is a key: inside a JSON string every quote is
    escaped, and in a doctor's object only ``profile`` is that key with a string value.
    """
    text = doctors.json if isinstance(doctors, DoctorViews) else _ENCODER.encode(doctors)
    return msgspec.Raw(text.replace(_PROFILE_KEY, _PROFILE_KEY + _ENCODER.encode(media)[1:-1]))


def _expand_json_arrays(body: RequestBody) -> None:
    """A form may carry a list as one JSON array value (``designation=[1,2]``) instead of repeated keys."""
    if not body.is_form:
        return
    for name in ID_LISTS:
        expanded: list = []
        for value in body.fields.get(name, []):
            # Flat arrays only: ids never nest, and a deeply nested value must not reach the decoder.
            if isinstance(value, str) and _FLAT_JSON_ARRAY.fullmatch(value):
                try:
                    expanded.extend(msgspec.json.decode(value))
                    continue
                except msgspec.DecodeError:
                    pass  # left as it is, for the conversion to refuse as "not an integer"
            expanded.append(value)
        if name in body.fields:
            body.fields[name] = expanded


def _ids(value: list[int] | msgspec.UnsetType) -> tuple[int, ...] | None:
    return None if value is UNSET else tuple(value)


async def _changes(request: Request) -> DoctorChanges:
    body = await read_body(request)
    _expand_json_arrays(body)
    data = to_struct(DoctorWrite, body)
    return DoctorChanges(
        user=None if data.user is UNSET else data.user,
        designation=_ids(data.designation), specialisation=_ids(data.specialisation),
        available_time=_ids(data.available_time), fee=None if data.fee is UNSET else data.fee,
        meet_link=None if data.meet_link is UNSET else data.meet_link, profile=body.files.get("profile"),
    )


@get(PATH, tags=TAGS, responses=openapi.errors(400, 404), summary="List doctors (anyone)")
async def list_doctors(request: Request, container: Services, actor: CurrentActor, page: PageParam = None,
                       limits: LimitsParam = None, specialisation: SpecialisationParam = None,
                       designation: DesignationParam = None, fee: FeeParam = None,
                       available_time: AvailableTimeParam = None) -> Paginated[DoctorOut]:
    async def produce() -> Paginated[DoctorOut]:
        filters = DoctorFilters(
            specialisation=integer_values(request, "specialisation"),
            designation=integer_values(request, "designation"),
            available_time=integer_values(request, "available_time"),
            fee=integer_value(request, "fee"),
        )
        result = await container.list_doctors()(actor, page=page_request(request), filters=filters)
        return paginated_results(request, result, rendered_all(media_prefix(request), result.items))  # type: ignore[arg-type]

    # The list is public and the same for every caller: its encoded pages are reused until a write.
    return await cached_response(request, container.doctor_views_version(), produce)  # type: ignore[return-value]


@post(PATH, tags=TAGS, security=openapi.BEARER, operation_class=WRITE_DOC, status_code=201,
      responses=openapi.errors(400, 401, 403), summary="Create a doctor (admin)")
async def create_doctor(request: Request, container: Services, actor: CurrentActor) -> DoctorOut:
    return render(request, await container.create_doctor()(actor, await _changes(request)))


@get(ITEM, tags=TAGS, responses=openapi.errors(404), summary="Get a doctor (anyone)")
async def get_doctor(request: Request, container: Services, actor: CurrentActor,
                     doctor_id: FromPath[int]) -> DoctorOut:
    return render(request, await container.get_doctor()(actor, doctor_id))


@put(ITEM, tags=TAGS, security=openapi.BEARER, operation_class=WRITE_DOC,
     responses=openapi.errors(401, 403, 404, 409), summary="Update a doctor (the doctor, admin)")
async def put_doctor(request: Request, container: Services, actor: CurrentActor,
                     doctor_id: FromPath[int]) -> DoctorOut:
    changes = await _changes(request)
    return render(request, await container.update_doctor()(actor, doctor_id, changes))


@patch(ITEM, tags=TAGS, security=openapi.BEARER, operation_class=PATCH_DOC,
       responses=openapi.errors(401, 403, 404, 409), summary="Partially update a doctor (the doctor, admin)")
async def patch_doctor(request: Request, container: Services, actor: CurrentActor,
                       doctor_id: FromPath[int]) -> DoctorOut:
    changes = await _changes(request)
    return render(request, await container.update_doctor()(actor, doctor_id, changes, partial=True))


@delete(ITEM, tags=TAGS, security=openapi.BEARER, responses=openapi.errors(401, 403, 404, 409),
        summary="Delete a doctor (admin)")
async def delete_doctor(container: Services, actor: CurrentActor, doctor_id: FromPath[int]) -> None:
    await container.delete_doctor()(actor, doctor_id)


HANDLERS = [list_doctors, create_doctor, get_doctor, put_doctor, patch_doctor, delete_doctor]
