"""Appointments: a patient's booking of one of a doctor's available times, and its progress."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum

from hospital.domain.actors import Actor
from hospital.domain.errors import (
    NON_FIELD_ERRORS,
    ErrorCollector,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)

SYMPTOMS_MAX = 5000
# A store's answer when the doctor or the patient of a new appointment is deleted as it is stored.
REMOVED_WHILE_BOOKING = "The doctor or the patient was removed while this appointment was being booked."


def _invalid_choice(field: str, value: object, choices: Iterable[str]) -> ValidationError:
    # The original's words, then what would have been accepted.
    return ValidationError.field(field, f'"{value}" is not a valid choice. Valid choices: {", ".join(choices)}.')


class AppointmentStatus(StrEnum):
    # The values are the original service's spellings; clients match on them, so they stay.
    PENDING = "Pendding"
    RUNNING = "Runing"
    COMPLETED = "Complated"

    @classmethod
    def parse(cls, value: str) -> AppointmentStatus:
        """The wire spellings, and the correctly spelled words too, in any case."""
        found = _STATUS_ALIASES.get(value.lower()) if isinstance(value, str) else None
        if found is None:
            raise _invalid_choice("appointment_status", value, [status.value for status in cls])
        return found

    @property
    def step(self) -> int:
        return _STATUS_ORDER.index(self)


_STATUS_ORDER = (AppointmentStatus.PENDING, AppointmentStatus.RUNNING, AppointmentStatus.COMPLETED)
_STATUS_ALIASES = {
    **{status.value.lower(): status for status in AppointmentStatus},
    "pending": AppointmentStatus.PENDING,
    "running": AppointmentStatus.RUNNING,
    "completed": AppointmentStatus.COMPLETED,
}


class AppointmentType(StrEnum):
    ONLINE = "Online"
    OFFLINE = "Offline"

    @classmethod
    def parse(cls, value: str) -> AppointmentType:
        if isinstance(value, str):
            for member in cls:
                if member.value.lower() == value.lower():
                    return member
        raise _invalid_choice("appointment_type", value, [member.value for member in cls])


def _checked_symptoms(symptoms: str) -> str:
    if len(symptoms) > SYMPTOMS_MAX:
        raise ValidationError.field(
            "symptoms", f"Ensure this field has no more than {SYMPTOMS_MAX} characters."
        )
    if "\x00" in symptoms:
        # As the original's text fields refused it; PostgreSQL cannot store it either.
        raise ValidationError.field("symptoms", "Null characters are not allowed.")
    return symptoms


def _checked_time(time_id: int, doctor_time_ids: Collection[int]) -> int:
    if time_id not in doctor_time_ids:
        raise ValidationError.field("time", "This time is not one of the doctor's available times.")
    return time_id


@dataclass(eq=False)
class Appointment:
    patient_id: int
    doctor_id: int
    time_id: int
    appointment_type: AppointmentType
    symptoms: str = ""
    status: AppointmentStatus = AppointmentStatus.PENDING
    cancelled: bool = False
    id: int | None = None

    @classmethod
    def book(cls, patient_id: int, doctor_id: int, time_id: int, appointment_type: AppointmentType | str,
             symptoms: str, doctor_time_ids: Collection[int]) -> Appointment:
        errors = ErrorCollector()
        kind = errors.collect(lambda: AppointmentType.parse(appointment_type))
        symptoms = errors.collect(lambda: _checked_symptoms(symptoms))
        errors.collect(lambda: _checked_time(time_id, doctor_time_ids))
        errors.raise_if_any()
        return cls(patient_id=patient_id, doctor_id=doctor_id, time_id=time_id,
                   appointment_type=kind, symptoms=symptoms)

    # --- who may do what -------------------------------------------------------------------------

    def _is_patient(self, actor: Actor) -> bool:
        return actor.patient_id is not None and actor.patient_id == self.patient_id

    def _is_doctor(self, actor: Actor) -> bool:
        return actor.doctor_id is not None and actor.doctor_id == self.doctor_id

    def ensure_readable_by(self, actor: Actor) -> None:
        # Strangers get "not found": they may not learn that the appointment exists.
        if not (actor.is_admin or self._is_doctor(actor) or self._is_patient(actor)):
            raise NotFoundError()

    def ensure_deletable_by(self, actor: Actor) -> None:
        self.ensure_readable_by(actor)
        if not (actor.is_admin or self._is_patient(actor)):
            raise PermissionDeniedError()

    def _ensure_status_changeable_by(self, actor: Actor) -> None:
        self.ensure_readable_by(actor)
        if not (actor.is_admin or self._is_doctor(actor)):
            raise PermissionDeniedError(
                "Only the doctor of this appointment or an admin may change its status."
            )

    # --- status ----------------------------------------------------------------------------------

    def start(self, by: Actor) -> None:
        self._ensure_status_changeable_by(by)
        self._ensure_may_become(AppointmentStatus.RUNNING)
        self.status = AppointmentStatus.RUNNING

    def complete(self, by: Actor) -> None:
        self._ensure_status_changeable_by(by)
        self._ensure_may_become(AppointmentStatus.COMPLETED)
        self.status = AppointmentStatus.COMPLETED

    def move_status(self, by: Actor, target: AppointmentStatus | str) -> None:
        """Set the status as a client asks; sending the current status again changes nothing."""
        self.ensure_readable_by(by)
        target = AppointmentStatus.parse(target)
        if target == self.status:
            return
        self._ensure_status_changeable_by(by)
        self._ensure_may_become(target)
        self.status = target

    def _ensure_may_become(self, target: AppointmentStatus) -> None:
        if self.cancelled:
            raise ValidationError.field("appointment_status", "A cancelled appointment cannot change status.")
        if target.step <= self.status.step:
            raise ValidationError.field(
                "appointment_status", f"Status cannot go back from {self.status} to {target}."
            )
        if target.step > self.status.step + 1:
            raise ValidationError.field(
                "appointment_status", "Status can only move forward one step at a time."
            )

    # --- patient details -------------------------------------------------------------------------

    def cancel(self, by: Actor) -> None:
        self.ensure_readable_by(by)
        if self.cancelled:
            raise ValidationError.field("cancel", "This appointment is already cancelled.")
        if self.status != AppointmentStatus.PENDING:
            raise ValidationError.field(
                "cancel", f"Only a {AppointmentStatus.PENDING} appointment can be cancelled."
            )
        self.cancelled = True

    def reschedule(self, by: Actor, time_id: int, doctor_time_ids: Collection[int]) -> None:
        self.ensure_readable_by(by)
        if time_id == self.time_id:
            return
        self._ensure_open("time")
        self.time_id = _checked_time(time_id, doctor_time_ids)

    def revise(self, by: Actor, symptoms: str | None = None,
               appointment_type: AppointmentType | str | None = None) -> None:
        """Change what the patient told; values equal to the current ones are not a change."""
        self.ensure_readable_by(by)
        errors = ErrorCollector()
        if symptoms is not None:
            symptoms = errors.collect(lambda: _checked_symptoms(symptoms))
        if appointment_type is not None:
            appointment_type = errors.collect(lambda: AppointmentType.parse(appointment_type))
        errors.raise_if_any()
        new_symptoms = symptoms is not None and symptoms != self.symptoms
        new_type = appointment_type is not None and appointment_type != self.appointment_type
        if not (new_symptoms or new_type):
            return
        self._ensure_open(NON_FIELD_ERRORS)
        if new_symptoms:
            self.symptoms = symptoms
        if new_type:
            self.appointment_type = appointment_type

    def _ensure_open(self, field: str) -> None:
        """Details may change only before the visit starts, and never once cancelled."""
        if self.cancelled:
            raise ValidationError.field(field, "A cancelled appointment cannot be changed.")
        if self.status != AppointmentStatus.PENDING:
            raise ValidationError.field(
                field, f"Only a {AppointmentStatus.PENDING} appointment can be changed."
            )
