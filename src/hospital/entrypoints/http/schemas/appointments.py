"""Appointments on the wire: {id, patient, doctor, appointment_type, appointment_status, symptoms, time, cancel}."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, ClassVar

import msgspec
from msgspec import UNSET, Meta, UnsetType

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


class AppointmentCreate(msgspec.Struct):
    doctor: Id
    appointment_type: TypeChoice
    time: Id
    symptoms: Symptoms = ""
    cancel: bool = False
    appointment_status: StatusChoice | UnsetType = UNSET

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
    time: int
    cancel: bool
