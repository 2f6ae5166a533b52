"""Appointments: a patient's booking of one of a doctor's available times, and its progress."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from hospital.domain.actors import Actor
from hospital.domain.appointment_lifecycle import MOVES, FhirStatus, check_move
from hospital.domain.cancellation import BY_PATIENT, BY_PROVIDER, OTHER, checked_note, checked_reason
from hospital.domain.doctor_schedules import LONGEST_APPOINTMENT
from hospital.domain.errors import (
    NON_FIELD_ERRORS,
    ErrorCollector,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)

SYMPTOMS_MAX = 5000
USE_RESCHEDULE = "A dated appointment moves to another slot with reschedule, not by changing its time."
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
            member = _TYPES_BY_LOWER.get(value.lower())
            if member is not None:
                return member
        raise _invalid_choice("appointment_type", value, [member.value for member in cls])


# Case-insensitive, as the original's choices were (one look-up per booking, not a walk of the members).
_TYPES_BY_LOWER = {member.value.lower(): member for member in AppointmentType}


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


# The guide's status of an appointment in each FHIR status the guide has a word for.
_LEGACY_STATUS = {
    FhirStatus.PROPOSED: AppointmentStatus.PENDING, FhirStatus.BOOKED: AppointmentStatus.PENDING,
    FhirStatus.ARRIVED: AppointmentStatus.PENDING, FhirStatus.CHECKED_IN: AppointmentStatus.RUNNING,
    FhirStatus.FULFILLED: AppointmentStatus.COMPLETED,
}
_FHIR_STATUS = {AppointmentStatus.RUNNING: FhirStatus.CHECKED_IN, AppointmentStatus.COMPLETED: FhirStatus.FULFILLED}


def status_of_legacy_fields(status: AppointmentStatus, cancelled: bool) -> FhirStatus:
    """The FHIR status of an undated appointment known only by the guide's two fields."""
    if cancelled:
        return FhirStatus.CANCELLED
    return _FHIR_STATUS.get(status, FhirStatus.PROPOSED)


@dataclass(eq=False)
class Appointment:
    """``status`` and ``cancelled`` are the guide's fields (appointment_status, cancel); ``fhir_status``
    is the full status they project (appointment_lifecycle.py). A dated appointment has ``starts_at`` and
    ``ends_at`` (UTC); an undated one (the guide's) has neither and never holds a slot. ``time_id`` is
    None only for a dated appointment in a slot of a date exception's window."""

    patient_id: int
    doctor_id: int
    time_id: int | None
    appointment_type: AppointmentType
    symptoms: str = ""
    status: AppointmentStatus = AppointmentStatus.PENDING
    cancelled: bool = False
    id: int | None = None
    fhir_status: FhirStatus = FhirStatus.PROPOSED
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    cancellation_reason: str | None = None
    cancellation_note: str | None = None
    cancelled_by: int | None = None
    cancelled_at: datetime | None = None
    replaces: int | None = None
    replaced_by: int | None = None

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

    @classmethod
    def book_dated(cls, patient_id: int, doctor_id: int, *, start: datetime, end: datetime, time_id: int | None,
                   appointment_type: AppointmentType | str, symptoms: str, replaces: int | None = None) -> Appointment:
        """A booking of one of the doctor's slots (the caller found it among the listed slots)."""
        if not start < end <= start + LONGEST_APPOINTMENT:
            raise ValueError(f"not a slot's span: {start} to {end}")  # the listings rely on it (LONGEST_APPOINTMENT)
        errors = ErrorCollector()
        kind = errors.collect(lambda: AppointmentType.parse(appointment_type))
        symptoms = errors.collect(lambda: _checked_symptoms(symptoms))
        errors.raise_if_any()
        assert kind is not None and symptoms is not None
        return cls(patient_id=patient_id, doctor_id=doctor_id, time_id=time_id, appointment_type=kind,
                   symptoms=symptoms, fhir_status=FhirStatus.BOOKED, starts_at=start, ends_at=end, replaces=replaces)

    @property
    def is_dated(self) -> bool:
        return self.starts_at is not None

    @property
    def occupies_time(self) -> bool:
        return self.is_dated and self.fhir_status.occupies_time

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
        self._become(AppointmentStatus.RUNNING)

    def complete(self, by: Actor) -> None:
        self._ensure_status_changeable_by(by)
        self._ensure_may_become(AppointmentStatus.COMPLETED)
        self._become(AppointmentStatus.COMPLETED)

    def move_status(self, by: Actor, target: AppointmentStatus | str) -> None:
        """Set the status as a client asks; sending the current status again changes nothing."""
        self.ensure_readable_by(by)
        target = AppointmentStatus.parse(target)
        if target == self.status:
            return
        self._ensure_status_changeable_by(by)
        self._ensure_may_become(target)
        self._become(target)

    def _become(self, target: AppointmentStatus) -> None:
        self.status = target
        self.fhir_status = _FHIR_STATUS[target]

    def _ensure_may_become(self, target: AppointmentStatus) -> None:
        if self.cancelled:
            raise ValidationError.field("appointment_status", "A cancelled appointment cannot change status.")
        if self.fhir_status.is_final:
            raise ValidationError.field("appointment_status", f"A {self.fhir_status} appointment cannot change status.")
        if target.step <= self.status.step:
            raise ValidationError.field(
                "appointment_status", f"Status cannot go back from {self.status} to {target}."
            )
        if target.step > self.status.step + 1:
            raise ValidationError.field(
                "appointment_status", "Status can only move forward one step at a time."
            )

    # --- patient details -------------------------------------------------------------------------

    def cancel(self, by: Actor, *, reason: str | None = None, note: str | None = None,
               at: datetime | None = None) -> None:
        """Its patient, its doctor or an admin cancels it; its slot is free at once. The reason
        defaults to who cancels (the patient ``pat``, the doctor ``prov``, an admin ``other``)."""
        self.ensure_readable_by(by)
        errors = ErrorCollector()
        if reason is not None:
            reason = errors.check("reason", lambda: checked_reason(reason))
        if note is not None:
            note = errors.check("note", lambda: checked_note(note))
        errors.raise_if_any()
        if self.cancelled:
            raise ValidationError.field("cancel", "This appointment is already cancelled.")
        if self.status != AppointmentStatus.PENDING:
            raise ValidationError.field(
                "cancel", f"Only a {AppointmentStatus.PENDING} appointment can be cancelled."
            )
        if self.fhir_status.is_final:
            raise ValidationError.field("cancel", f"A {self.fhir_status} appointment cannot be cancelled.")
        self.cancelled = True
        self.fhir_status = FhirStatus.CANCELLED
        self.cancellation_reason = reason or self._default_reason(by)
        self.cancellation_note = note
        self.cancelled_by = by.user_id
        self.cancelled_at = at

    def _default_reason(self, by: Actor) -> str:
        if self._is_patient(by) and not by.is_admin:
            return BY_PATIENT
        if self._is_doctor(by):
            return BY_PROVIDER
        return OTHER

    def change_status(self, by: Actor, target: FhirStatus | str, *, now: datetime) -> None:
        """The doctor of it or an admin moves its status along appointment_lifecycle.MOVES; the
        guide's fields follow (Pendding, Runing, Complated; cancel)."""
        self._ensure_status_changeable_by(by)
        target = FhirStatus.parse(target)
        check_move(self.fhir_status, target, start=self.starts_at, now=now)
        if target is FhirStatus.CANCELLED:
            self.cancel(by, at=now)
            return
        self.fhir_status = target
        self.status = _LEGACY_STATUS.get(target, self.status)

    def ensure_reschedulable_by(self, by: Actor) -> None:
        """Moving it to another slot cancels it: the same callers and states as cancel."""
        self.ensure_readable_by(by)
        if FhirStatus.CANCELLED not in MOVES[self.fhir_status]:
            raise ValidationError.field("status", f"A {self.fhir_status} appointment cannot be rescheduled.")

    def reschedule(self, by: Actor, time_id: int, doctor_time_ids: Collection[int]) -> None:
        """The guide's change of ``time``; a dated appointment is moved with a reschedule instead."""
        self.ensure_readable_by(by)
        if time_id == self.time_id:
            return
        if self.is_dated:
            raise ValidationError.field("time", USE_RESCHEDULE)
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
        if self.fhir_status.is_final:
            raise ValidationError.field(field, f"A {self.fhir_status} appointment cannot be changed.")
        if self.status != AppointmentStatus.PENDING:
            raise ValidationError.field(
                field, f"Only a {AppointmentStatus.PENDING} appointment can be changed."
            )
