"""/appointments/: list, book, and {id} get/put/patch/delete."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, delete, get, patch, post, put
from litestar.params import FromPath, QueryParameter
from msgspec import UNSET

from hospital.application.appointments import AppointmentChanges, Booking, appointment_when
from hospital.application.dated_appointments import SlotBooking
from hospital.application.ports.appointments import AppointmentRow
from hospital.domain.appointment_lifecycle import FhirStatus
from hospital.entrypoints.http import openapi
from hospital.entrypoints.http.body import read_body, to_struct
from hospital.entrypoints.http.dependencies import CurrentActor, Services
from hospital.entrypoints.http.id_filters import parse_id_filter
from hospital.entrypoints.http.pagination import Paginated, page_request, paginated
from hospital.entrypoints.http.params import ID_FILTER_PATTERN, LimitsParam, PageParam
from hospital.entrypoints.http.schemas.appointments import (
    AppointmentCreate,
    AppointmentOut,
    AppointmentPatch,
    AppointmentPut,
    DatedAppointmentCreate,
)

TAGS = ["Appointments"]
PATH = "/appointments/"
ITEM = "/appointments/{appointment_id:int}/"
AppointmentId = FromPath[int]
PatientIdParam = Annotated[
    str | None, QueryParameter(name="patient_id", description="Filter by patient id", required=False,
                                 schema_extra={"pattern": ID_FILTER_PATTERN}),
]
DoctorIdParam = Annotated[
    str | None, QueryParameter(name="doctor_id", description="Filter by doctor id", required=False,
                                 schema_extra={"pattern": ID_FILTER_PATTERN}),
]

StatusParam = Annotated[
    str | None, QueryParameter(name="status", required=False, description="Only appointments with this FHIR status",
                               schema_extra={"enum": [code.value for code in FhirStatus]}),
]
FromDateParam = Annotated[
    str | None, QueryParameter(name="from", required=False, schema_extra={"format": "date"},
                               description="Only dated appointments starting on or after this UTC date, YYYY-MM-DD"),
]
ToDateParam = Annotated[
    str | None, QueryParameter(name="to", required=False, schema_extra={"format": "date"},
                               description="Only dated appointments starting on or before this UTC date (included)"),
]


def render(row: AppointmentRow) -> AppointmentOut:
    return AppointmentOut(
        id=row.id, patient=row.patient, doctor=row.doctor, appointment_type=row.appointment_type,
        appointment_status=row.appointment_status, symptoms=row.symptoms, time=row.time, cancel=row.cancel,
        start=row.start, end=row.end, status=row.status, cancellation_reason=row.cancellation_reason,
        cancelled_by=row.cancelled_by, cancelled_at=row.cancelled_at, replaces=row.replaces,
        replaced_by=row.replaced_by,
    )


def _or_none(value):
    return None if value is UNSET else value


async def _changes(request: Request, struct: type[AppointmentPut] | type[AppointmentPatch]) -> AppointmentChanges:
    data = to_struct(struct, await read_body(request))
    return AppointmentChanges(
        doctor=_or_none(data.doctor), time=_or_none(data.time),
        appointment_type=_or_none(data.appointment_type), symptoms=_or_none(data.symptoms),
        cancel=_or_none(data.cancel), appointment_status=_or_none(data.appointment_status),
    )


@get(PATH, tags=TAGS, security=openapi.BEARER, responses=openapi.errors(400, 401, 404),
     summary="List appointments")
async def list_appointments(request: Request, container: Services, actor: CurrentActor, page: PageParam = None,
                            limits: LimitsParam = None, patient_id: PatientIdParam = None,
                            doctor_id: DoctorIdParam = None, status: StatusParam = None,
                            first: FromDateParam = None, last: ToDateParam = None) -> Paginated[AppointmentOut]:
    result = await container.list_appointments()(
        actor, page=page_request(request), patient_id=parse_id_filter("patient_id", patient_id),
        doctor_id=parse_id_filter("doctor_id", doctor_id), when=appointment_when(status, first, last),
    )
    return paginated(request, result, render)


@post(PATH, tags=TAGS, security=openapi.BEARER, operation_class=openapi.body(AppointmentCreate, item=ITEM),
      status_code=201,
      responses=openapi.errors(400, 401, 403, 409, 422), summary="Book an appointment for yourself")
async def book_appointment(request: Request, container: Services, actor: CurrentActor) -> AppointmentOut:
    body = await read_body(request)
    if "start" in body.fields:
        # A dated booking (SCHEDULING.md section 5); without `start` everything is as the guide says.
        dated = to_struct(DatedAppointmentCreate, body)
        return render(await container.book_slot()(actor, SlotBooking(
            doctor=dated.doctor, start=dated.start, appointment_type=dated.appointment_type,
            symptoms=dated.symptoms, time=_or_none(dated.time))))
    data = to_struct(AppointmentCreate, body)
    booking = Booking(
        doctor=data.doctor, time=data.time, appointment_type=data.appointment_type, symptoms=data.symptoms,
        cancel=data.cancel, appointment_status=_or_none(data.appointment_status),
    )
    return render(await container.book_appointment()(actor, booking))


@get(ITEM, tags=TAGS, security=openapi.BEARER, responses=openapi.errors(401, 404), summary="Get an appointment")
async def get_appointment(container: Services, actor: CurrentActor, appointment_id: AppointmentId) -> AppointmentOut:
    return render(await container.get_appointment()(actor, appointment_id))


@put(ITEM, tags=TAGS, security=openapi.BEARER, operation_class=openapi.body(AppointmentPut),
     responses=openapi.errors(401, 403, 404, 409), summary="Update an appointment")
async def put_appointment(request: Request, container: Services, actor: CurrentActor,
                          appointment_id: AppointmentId) -> AppointmentOut:
    changes = await _changes(request, AppointmentPut)
    return render(await container.change_appointment()(actor, appointment_id, changes))


@patch(ITEM, tags=TAGS, security=openapi.BEARER, operation_class=openapi.body(AppointmentPatch, required=False),
       responses=openapi.errors(401, 403, 404, 409), summary="Partially update an appointment")
async def patch_appointment(request: Request, container: Services, actor: CurrentActor,
                            appointment_id: AppointmentId) -> AppointmentOut:
    changes = await _changes(request, AppointmentPatch)
    return render(await container.change_appointment()(actor, appointment_id, changes))


@delete(ITEM, tags=TAGS, security=openapi.BEARER, responses=openapi.errors(401, 403, 404, 409),
        summary="Delete an appointment")
async def delete_appointment(container: Services, actor: CurrentActor, appointment_id: AppointmentId) -> None:
    await container.delete_appointment()(actor, appointment_id)


HANDLERS = [list_appointments, book_appointment, get_appointment, put_appointment, patch_appointment,
            delete_appointment]
