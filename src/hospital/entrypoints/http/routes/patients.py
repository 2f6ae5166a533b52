"""/patients/: list, create, and {id} get/put/patch/delete."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, delete, get, patch, post, put
from litestar.params import FromPath, QueryParameter
from msgspec import UNSET

from hospital.application.patients import PatientChanges
from hospital.application.ports.patients import PatientRow
from hospital.entrypoints.http import openapi
from hospital.entrypoints.http.body import read_body, to_struct
from hospital.entrypoints.http.dependencies import CurrentActor, Services
from hospital.entrypoints.http.media import media_url
from hospital.entrypoints.http.pagination import Paginated, page_request, paginated
from hospital.entrypoints.http.params import LimitsParam, PageParam, SearchParam
from hospital.entrypoints.http.schemas.patients import PatientOut, PatientWrite

TAGS = ["Patients"]
PATH = "/patients/"
ITEM = "/patients/{patient_id:int}/"
PatientId = FromPath[int]
WRITE_DOC = openapi.body(PatientWrite, files=("profile",), required=False, item=ITEM)
PhoneParam = Annotated[
    str | None, QueryParameter(name="phone", description="Exact phone number", required=False, max_length=1000),
]


def render(request: Request, row: PatientRow) -> PatientOut:
    # The guide types phone as a string; a patient without one has "".
    return PatientOut(id=row.id, user=row.user, profile=media_url(request, row.profile), phone=row.phone or "")


async def _changes(request: Request) -> PatientChanges:
    body = await read_body(request)
    data = to_struct(PatientWrite, body)
    phone = None if data.phone is UNSET else (data.phone or "")
    return PatientChanges(phone=phone, profile=body.files.get("profile"))


@get(PATH, tags=TAGS, security=openapi.BEARER, responses=openapi.errors(401, 404), summary="List patients")
async def list_patients(request: Request, container: Services, actor: CurrentActor, page: PageParam = None,
                        limits: LimitsParam = None, search: SearchParam = None,
                        phone: PhoneParam = None) -> Paginated[PatientOut]:
    result = await container.list_patients()(actor, page=page_request(request), search=search or "", phone=phone)
    return paginated(request, result, lambda row: render(request, row))


@post(PATH, tags=TAGS, security=openapi.BEARER, operation_class=WRITE_DOC, status_code=201,
      responses=openapi.errors(400, 401), summary="Create your patient record (if you have none)")
async def create_patient(request: Request, container: Services, actor: CurrentActor) -> PatientOut:
    changes = await _changes(request)
    return render(request, await container.create_patient()(actor, changes))


@get(ITEM, tags=TAGS, security=openapi.BEARER, responses=openapi.errors(401, 404), summary="Get a patient")
async def get_patient(request: Request, container: Services, actor: CurrentActor, patient_id: PatientId) -> PatientOut:
    return render(request, await container.get_patient()(actor, patient_id))


@put(ITEM, tags=TAGS, security=openapi.BEARER, operation_class=WRITE_DOC,
     responses=openapi.errors(401, 403, 404, 409), summary="Update a patient")
async def put_patient(request: Request, container: Services, actor: CurrentActor, patient_id: PatientId) -> PatientOut:
    return render(request, await container.update_patient()(actor, patient_id, await _changes(request)))


@patch(ITEM, tags=TAGS, security=openapi.BEARER, operation_class=WRITE_DOC,
       responses=openapi.errors(401, 403, 404, 409), summary="Partially update a patient")
async def patch_patient(request: Request, container: Services, actor: CurrentActor,
                        patient_id: PatientId) -> PatientOut:
    return render(request, await container.update_patient()(actor, patient_id, await _changes(request)))


@delete(ITEM, tags=TAGS, security=openapi.BEARER, responses=openapi.errors(401, 403, 404, 409),
        summary="Delete a patient (and their appointments)")
async def delete_patient(container: Services, actor: CurrentActor, patient_id: PatientId) -> None:
    await container.delete_patient()(actor, patient_id)


HANDLERS = [list_patients, create_patient, get_patient, put_patient, patch_patient, delete_patient]
