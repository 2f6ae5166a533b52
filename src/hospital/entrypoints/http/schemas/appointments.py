"""Appointments on the wire: {id, patient, doctor, appointment_type, appointment_status, symptoms, time, cancel}."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, ClassVar

import msgspec
from msgspec import UNSET, Meta, UnsetType

from hospital.domain.appointment_lifecycle import FhirStatus
from hospital.domain.appointments import SYMPTOMS_MAX, AppointmentStatus, AppointmentType
from hospital.entrypoints.http import openapi

# Ids the database can hold; larger numbers are refused here rather than by the driver.
Id = Annotated[int, Meta(ge=1, le=2**31 - 1)]
Symptoms = Annotated[str, Meta(max_length=SYMPTOMS_MAX)]
# Free strings: the domain parses them (any case; `Pending` as well as the wire's `Pendding`); the
# document lists the spellings as an enum.
TypeChoice = Annotated[str, openapi.choice(*(member.value for member in AppointmentType))]
StatusChoice = Annotated[str, openapi.choice(*(member.value for member in AppointmentStatus),
                                              "Pending", "Running", "Completed")]
# Checks of one field alone, reported with a missing field's error (body.py, _every_error).
CHOICE_CHECKS: dict[str, Callable[[Any], object]] = {
    "appointment_type": AppointmentType.parse, "appointment_status": AppointmentStatus.parse,
}


# Text, parsed by the use case once the caller is known (so an anonymous caller gets 401, not 400).
Start = Annotated[str, Meta(max_length=64, description="A dated booking: the start of one of the doctor's free "
                                                      "slots (RFC 3339 with Z or an offset); `time` may then be "
                                                      "left out.")]


class AppointmentCreate(msgspec.Struct):
    doctor: Id
    appointment_type: TypeChoice
    time: Id
    symptoms: Symptoms = ""
    cancel: bool = False
    appointment_status: StatusChoice | UnsetType = UNSET
    start: Start | UnsetType = UNSET

    field_checks: ClassVar[dict[str, Callable[[Any], object]]] = CHOICE_CHECKS


class DatedAppointmentCreate(msgspec.Struct):
    """POST /appointments/ with a ``start``: a slot of the doctor (SCHEDULING.md section 5)."""

    doctor: Id
    appointment_type: TypeChoice
    start: Start
    time: Id | UnsetType = UNSET
    symptoms: Symptoms = ""

    field_checks: ClassVar[dict[str, Callable[[Any], object]]] = CHOICE_CHECKS


class AppointmentPut(msgspec.Struct):
    """PUT sends the whole appointment, as the guide shows it; the doctor must stay the same."""

    doctor: Id
    appointment_type: TypeChoice
    time: Id
    symptoms: Symptoms | UnsetType = UNSET
    cancel: bool | UnsetType = UNSET
    appointment_status: StatusChoice | UnsetType = UNSET

    field_checks: ClassVar[dict[str, Callable[[Any], object]]] = CHOICE_CHECKS


class AppointmentPatch(msgspec.Struct):
    doctor: Id | UnsetType = UNSET
    appointment_type: TypeChoice | UnsetType = UNSET
    time: Id | UnsetType = UNSET
    symptoms: Symptoms | UnsetType = UNSET
    cancel: bool | UnsetType = UNSET
    appointment_status: StatusChoice | UnsetType = UNSET

    field_checks: ClassVar[dict[str, Callable[[Any], object]]] = CHOICE_CHECKS


class AppointmentOut(msgspec.Struct):
    id: int
    patient: int
    doctor: int
    # Enums in the document (components AppointmentType, AppointmentStatus); sent as their values.
    appointment_type: AppointmentType
    appointment_status: AppointmentStatus
    symptoms: str
    # None only for a dated appointment in a slot of a date exception's window.
    time: int | None
    cancel: bool
    # Dated scheduling (SCHEDULING.md sections 5 and 6): null until they apply.
    start: datetime | None = None
    end: datetime | None = None
    status: FhirStatus = FhirStatus.PROPOSED
    cancellation_reason: str | None = None
    cancelled_by: int | None = None
    cancelled_at: datetime | None = None
    replaces: int | None = None
    replaced_by: int | None = None
