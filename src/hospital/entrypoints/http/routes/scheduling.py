"""Dated scheduling (SCHEDULING.md): /doctors/{id}/schedule/ (GET, PUT), its exceptions (GET, POST,
DELETE), /doctors/{id}/slots/, and /appointments/{id}/status/, /cancel/, /reschedule/."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, delete, get, post, put
from litestar.params import FromPath, QueryParameter
from msgspec import UNSET

from hospital.application.dated_appointments import CancelCommand
from hospital.application.doctor_schedules import (
    ExceptionView,
    ScheduleExceptionCommand,
    ScheduleSettings,
    ScheduleView,
)
from hospital.domain.slots import Slot
from hospital.entrypoints.http import openapi
from hospital.entrypoints.http.body import read_body, to_struct
from hospital.entrypoints.http.dependencies import CurrentActor, Services
from hospital.entrypoints.http.json_response import JsonResponse
from hospital.entrypoints.http.routes.appointments import ITEM as APPOINTMENT
from hospital.entrypoints.http.routes.appointments import render
from hospital.entrypoints.http.schemas.appointments import AppointmentOut
from hospital.entrypoints.http.schemas.scheduling import (
    CancelWrite,
    RescheduleWrite,
    ScheduleExceptionWrite,
    ScheduleWrite,
    StatusWrite,
)

TAGS = ["Scheduling"]
SCHEDULE = "/doctors/{doctor_id:int}/schedule/"
EXCEPTIONS = "/doctors/{doctor_id:int}/schedule/exceptions/"
EXCEPTION = "/doctors/{doctor_id:int}/schedule/exceptions/{exception_id:int}/"
SLOTS = "/doctors/{doctor_id:int}/slots/"
DoctorId = FromPath[int]
FromParam = Annotated[str | None, QueryParameter(name="from", required=True, schema_extra={"format": "date"},
                                                 description="The first local date (the doctor's zone), YYYY-MM-DD")]
ToParam = Annotated[str | None, QueryParameter(name="to", required=True, schema_extra={"format": "date"},
                                               description="The last local date, included; at most 31 days in all")]


def _or_none(value):
    return None if value is UNSET else value


@get(SCHEDULE, tags=TAGS, responses=openapi.errors(404), summary="A doctor's schedule (anyone)")
async def get_schedule(container: Services, actor: CurrentActor, doctor_id: DoctorId) -> ScheduleView:
    return await container.get_schedule()(actor, doctor_id)


@put(SCHEDULE, tags=TAGS, security=openapi.BEARER, operation_class=openapi.body(ScheduleWrite),
     responses=openapi.errors(401, 403, 404, 409), summary="Set a doctor's schedule (that doctor or an admin)")
async def put_schedule(request: Request, container: Services, actor: CurrentActor, doctor_id: DoctorId) -> ScheduleView:
    data = to_struct(ScheduleWrite, await read_body(request))
    settings = ScheduleSettings(
        timezone=_or_none(data.timezone), slot_minutes=_or_none(data.slot_minutes),
        min_notice_minutes=_or_none(data.min_notice_minutes), horizon_days=_or_none(data.horizon_days),
        rules=[(rule.weekday, rule.time) for rule in data.rules])
    return await container.set_schedule()(actor, doctor_id, settings)


@get(EXCEPTIONS, tags=TAGS, responses=openapi.errors(404), summary="A doctor's date exceptions, by date (anyone)")
async def list_schedule_exceptions(container: Services, actor: CurrentActor,
                                   doctor_id: DoctorId) -> list[ExceptionView]:
    return await container.list_schedule_exceptions()(actor, doctor_id)


@post(EXCEPTIONS, tags=TAGS, security=openapi.BEARER, status_code=201,
      operation_class=openapi.body(ScheduleExceptionWrite),
      responses=openapi.errors(401, 403, 404, 409, 422), summary="Replace one date's hours (that doctor or an admin)")
async def add_schedule_exception(request: Request, container: Services, actor: CurrentActor,
                                 doctor_id: DoctorId) -> ExceptionView:
    data = to_struct(ScheduleExceptionWrite, await read_body(request))
    command = ScheduleExceptionCommand(
        date=data.date, windows=[{"start": window.start, "end": window.end} for window in data.windows])
    return await container.add_schedule_exception()(actor, doctor_id, command)


@delete(EXCEPTION, tags=TAGS, security=openapi.BEARER, responses=openapi.errors(401, 403, 404),
        summary="Remove a date exception (that doctor or an admin)")
async def delete_schedule_exception(container: Services, actor: CurrentActor, doctor_id: DoctorId,
                                    exception_id: FromPath[int]) -> None:
    await container.delete_schedule_exception()(actor, doctor_id, exception_id)


@get(SLOTS, tags=TAGS, responses=openapi.errors(404), summary="A doctor's slots, free or busy (anyone)")
async def list_slots(request: Request, container: Services, actor: CurrentActor, doctor_id: DoctorId,
                     first: FromParam = None, last: ToParam = None) -> list[Slot]:
    listing = await container.list_slots().listing(actor, doctor_id, first, last)
    # An unchanged listing is the same object again: its bytes are made once (response_cache.py), and
    # sent by the app's shortest path for JSON (json_response.py), not Litestar's general one.
    encoded = request.app.state.encoded_values.encoded(listing.slots)
    return JsonResponse(encoded)  # type: ignore[return-value]


@post(f"{APPOINTMENT}status/", tags=TAGS, security=openapi.BEARER, status_code=200,
      operation_class=openapi.body(StatusWrite), responses=openapi.errors(401, 403, 404, 409),
      summary="Move an appointment's status (its doctor or an admin)")
async def move_appointment_status(request: Request, container: Services, actor: CurrentActor,
                                  appointment_id: FromPath[int]) -> AppointmentOut:
    data = to_struct(StatusWrite, await read_body(request))
    return render(await container.move_appointment_status()(actor, appointment_id, data.status))


@post(f"{APPOINTMENT}cancel/", tags=TAGS, security=openapi.BEARER, status_code=200, idempotent=True,
      operation_class=openapi.body(CancelWrite, required=False), responses=openapi.errors(401, 404, 409, 422),
      summary="Cancel an appointment (its patient, its doctor or an admin)")
async def cancel_appointment(request: Request, container: Services, actor: CurrentActor,
                             appointment_id: FromPath[int]) -> AppointmentOut:
    data = to_struct(CancelWrite, await read_body(request))
    return render(await container.cancel_appointment()(
        actor, appointment_id, CancelCommand(reason=_or_none(data.reason), note=_or_none(data.note))))


@post(f"{APPOINTMENT}reschedule/", tags=TAGS, security=openapi.BEARER, status_code=201,
      operation_class=openapi.body(RescheduleWrite, item=APPOINTMENT), responses=openapi.errors(401, 404, 409, 422),
      summary="Move an appointment to another slot: a new appointment replaces it")
async def reschedule_appointment(request: Request, container: Services, actor: CurrentActor,
                                 appointment_id: FromPath[int]) -> AppointmentOut:
    data = to_struct(RescheduleWrite, await read_body(request))
    return render(await container.reschedule_appointment()(actor, appointment_id, data.start))


HANDLERS = [get_schedule, put_schedule, list_schedule_exceptions, add_schedule_exception, delete_schedule_exception,
            list_slots, move_appointment_status, cancel_appointment, reschedule_appointment]
