"""Appointments: list, read, book, change and delete.

The appointment's own rules (its lifecycle, who may move its status) live in the domain entity;
these use cases find the objects, decide what the caller is allowed to reach, and keep each
request in one transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from hospital.application import auditing
from hospital.application.access import require_authenticated
from hospital.application.auditing import Attempt, attempt, entry
from hospital.application.doctor_schedules import parse_date
from hospital.application.pagination import Page, PageRequest
from hospital.application.ports.appointments import (
    AppointmentRow,
    AppointmentScope,
    AppointmentWhen,
    BookingOutcome,
)
from hospital.application.ports.audit import AuditLog
from hospital.application.ports.clock import Clock
from hospital.application.ports.read_side import ReadSide
from hospital.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from hospital.application.retry import rerun_on_concurrent_change
from hospital.domain.actors import Actor
from hospital.domain.appointment_lifecycle import FhirStatus
from hospital.domain.appointments import Appointment, AppointmentStatus
from hospital.domain.audit import AuditAction, ResourceType
from hospital.domain.errors import (
    ConflictError,
    DomainError,
    ErrorCollector,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)

NOT_A_PATIENT = "Only a patient can book an appointment."
STARTS_PENDING = f"A new appointment starts as {AppointmentStatus.PENDING}; only its doctor or an admin moves it on."
DOCTOR_IS_FIXED = "The doctor of an appointment cannot be changed."
NO_REOPENING = "A cancelled appointment cannot be reopened."
TIMES_CHANGED = "The doctor's available times changed while booking; please try again."


def _unknown_doctor(doctor_id: int) -> str:
    return f'Invalid pk "{doctor_id}" - object does not exist.'


@dataclass(frozen=True, slots=True)
class Booking:
    """What a patient sends to book (``BookAppointment``), in the wire's names: the doctor's id, the id of one
    of the doctor's available times, the type (``Online``/``Offline``) and the symptoms."""

    doctor: int
    time: int
    appointment_type: str
    symptoms: str = ""
    cancel: bool = False
    # Only the starting status is accepted; anything else is someone trying to skip the visit.
    appointment_status: str | None = None


@dataclass(frozen=True, slots=True)
class AppointmentChanges:
    """None leaves a field as it is. Values equal to the current ones are no change at all, so a
    PUT that repeats what it read is accepted from anyone who may read the appointment."""

    doctor: int | None = None
    time: int | None = None
    appointment_type: str | None = None
    symptoms: str | None = None
    cancel: bool | None = None
    appointment_status: str | None = None


def _scope(actor: Actor) -> AppointmentScope | None:
    """What ``Appointment.ensure_readable_by`` allows, as a condition the read side applies."""
    if actor.is_admin:
        return None
    return AppointmentScope(patient_id=actor.patient_id, doctor_id=actor.doctor_id)


class AppointmentUseCase:
    """The appointment use cases' shared wiring and access rules (who may read or change one)."""

    def __init__(self, uow: UnitOfWorkFactory, audit: AuditLog, clock: Clock) -> None:
        self._uow, self._audit, self._clock = uow, audit, clock

    @staticmethod
    async def _readable(uow: UnitOfWork, actor: Actor, appointment_id: int,
                        attempt: Attempt | None = None) -> Appointment:
        require_authenticated(actor)
        appointment = await uow.appointments.get(appointment_id)
        if appointment is None:
            raise NotFoundError()
        if attempt is not None:  # whose appointment it is, refused or not
            attempt.concerns(appointment.patient_id)
        appointment.ensure_readable_by(actor)
        return appointment


def appointment_when(status: str | None = None, first: str | None = None,
                     last: str | None = None) -> AppointmentWhen | None:
    """The list's ``status``, ``from`` and ``to`` (SCHEDULING.md section 5), checked: ``status`` one of
    FHIR's codes; ``from`` and ``to`` dates (YYYY-MM-DD) of UTC, the zone instants are stored and
    answered in, both included, ``to`` not before ``from``. None is no filter; an empty value is
    refused like any other that is not a code or a date."""
    errors = ErrorCollector()
    code = errors.check("status", lambda: None if status is None else FhirStatus.parse(status))
    since = errors.check("from", lambda: None if first is None else parse_date(first, "from"))
    until = errors.check("to", lambda: None if last is None else parse_date(last, "to"))
    errors.raise_if_any()
    if since is not None and until is not None and until < since:
        raise ValidationError.field("to", "Must not be before from.")
    if code is None and since is None and until is None:
        return None
    return AppointmentWhen(
        status=None if code is None else str(code),
        starts_from=None if since is None else datetime.combine(since, time(), UTC),
        starts_before=None if until is None else datetime.combine(until + timedelta(days=1), time(), UTC),
    )


class ListAppointments:
    """A page of the appointments the caller may see (admins all; a doctor theirs; a patient their own), filterable
    by patient, doctor, status and the date of ``start`` (``appointment_when``). Audited: one event naming every
    patient on the page, with the filters."""

    def __init__(self, reads: ReadSide, audit: AuditLog) -> None:
        self._reads, self._audit = reads, audit

    async def __call__(self, actor: Actor, *, page: PageRequest, patient_id: int | None = None,
                       doctor_id: int | None = None, when: AppointmentWhen | None = None) -> Page[AppointmentRow]:
        filters: dict[str, object] = {"patient": patient_id, "doctor": doctor_id}
        if when is not None:
            filters.update(status=when.status,
                           starts_from=None if when.starts_from is None else when.starts_from.isoformat(),
                           starts_before=None if when.starts_before is None else when.starts_before.isoformat())
        return await auditing.searched(self._audit, actor, ResourceType.APPOINTMENT,
                                       self._list(actor, page, patient_id, doctor_id, when),
                                       lambda found: [row.patient for row in found.items], filters)

    @rerun_on_concurrent_change
    async def _list(self, actor: Actor, page: PageRequest, patient_id: int | None,
                    doctor_id: int | None, when: AppointmentWhen | None) -> Page[AppointmentRow]:
        require_authenticated(actor)
        return await self._reads.appointments.list(
            page=page, scope=_scope(actor), patient_id=patient_id, doctor_id=doctor_id, when=when,
        )


class GetAppointment:
    """One appointment the caller may see (the list's scope); another's is 404, as if it did not exist.
    Audited, refusals included (naming whose appointment it was)."""

    def __init__(self, reads: ReadSide, audit: AuditLog) -> None:
        self._reads, self._audit = reads, audit

    async def __call__(self, actor: Actor, appointment_id: int) -> AppointmentRow:
        try:
            row = await self._get(actor, appointment_id, _scope(actor))
        except DomainError as error:
            await auditing.refused(self._audit, actor, AuditAction.READ, ResourceType.APPOINTMENT, error,
                                   resource_id=appointment_id, patient_ids=[await self._owner(appointment_id)])
            raise
        await auditing.read(self._audit, actor, ResourceType.APPOINTMENT, row.id, row.patient)
        return row

    @rerun_on_concurrent_change
    async def _get(self, actor: Actor, appointment_id: int, scope: AppointmentScope | None) -> AppointmentRow:
        require_authenticated(actor)
        row = await self._reads.appointments.get(appointment_id, scope=scope)
        if row is None:
            raise NotFoundError()
        return row

    async def _owner(self, appointment_id: int) -> int | None:
        """Whose appointment a refused read reached, if it exists (only the audit log is told)."""
        try:
            row = await self._reads.appointments.get(appointment_id, scope=None)
        except DomainError:
            return None
        return None if row is None else row.patient


class BookAppointment(AppointmentUseCase):
    """The caller books for their own patient record, never for anyone else's."""

    async def __call__(self, actor: Actor, booking: Booking) -> AppointmentRow:
        async with attempt(self._audit, actor, AuditAction.CREATE, ResourceType.APPOINTMENT,
                           patient_id=actor.patient_id):
            return await self._book(actor, booking)

    @rerun_on_concurrent_change
    async def _book(self, actor: Actor, booking: Booking) -> AppointmentRow:
        require_authenticated(actor)
        if actor.patient_id is None:
            raise PermissionDeniedError(NOT_A_PATIENT)
        requested = booking.appointment_status
        if requested is not None and AppointmentStatus.parse(requested) is not AppointmentStatus.PENDING:
            raise PermissionDeniedError(STARTS_PENDING)
        async with self._uow() as uow:
            # First as if the doctor offered the time: the insert checks that itself, in the same
            # statement, which saves reading the doctor's times on every booking. Invalid input or a
            # refused insert reads them, so the errors say what is wrong as Appointment.book words it.
            now = self._clock.now()
            appointment = _provisional_booking(actor, booking, now)
            if appointment is None or await uow.appointments.book(appointment) is not BookingOutcome.BOOKED:
                for _ in range(_READS_BEFORE_GIVING_UP):
                    doctor_time_ids = await uow.doctors.available_time_ids(booking.doctor)
                    appointment = _checked_booking(actor, booking, doctor_time_ids, now)
                    if await uow.appointments.book(appointment) is BookingOutcome.BOOKED:
                        break
                else:  # the doctor's times kept changing between the read and the insert
                    raise ConflictError({"time": [TIMES_CHANGED]})
            await uow.audit.append(entry(actor, AuditAction.CREATE, ResourceType.APPOINTMENT,
                                         resource_id=appointment.id, patient_ids=[appointment.patient_id]))
            await uow.commit()
        return AppointmentRow.of(appointment)


_READS_BEFORE_GIVING_UP = 3


def _provisional_booking(actor: Actor, booking: Booking, now: datetime) -> Appointment | None:
    try:
        return _checked_booking(actor, booking, (booking.time,), now)
    except ValidationError:
        return None


def _checked_booking(actor: Actor, booking: Booking, doctor_time_ids: Collection[int] | None,
                     now: datetime) -> Appointment:
    errors = ErrorCollector()
    if doctor_time_ids is None:
        errors.add("doctor", _unknown_doctor(booking.doctor))
    # Without a doctor the time cannot be judged; the other fields are still reported.
    time_ids = doctor_time_ids if doctor_time_ids is not None else (booking.time,)
    assert actor.patient_id is not None
    patient_id = actor.patient_id
    appointment = errors.collect(lambda: Appointment.book(
        patient_id, booking.doctor, booking.time, booking.appointment_type, booking.symptoms, time_ids,
    ))
    errors.raise_if_any()
    assert appointment is not None
    if booking.cancel:
        # The original stored `cancel: true` as sent; booking then cancelling keeps the rules.
        appointment.cancel(actor, at=now)
    return appointment


class ChangeAppointment(AppointmentUseCase):
    """PUT and PATCH: the patient's details first, then cancelling, then the status.

    That order lets the doctor start an appointment in the same request that corrects its
    details, and makes "cancel and start" fail as it must. Any refusal rolls everything back.
    """

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, appointment_id: int, changes: AppointmentChanges) -> AppointmentRow:
        async with attempt(self._audit, actor, AuditAction.UPDATE, ResourceType.APPOINTMENT,
                           resource_id=appointment_id) as attempted, self._uow() as uow:
            appointment = await self._readable(uow, actor, appointment_id, attempted)
            before = _audited_state(appointment)
            if changes.doctor is not None and changes.doctor != appointment.doctor_id:
                raise ValidationError.field("doctor", DOCTOR_IS_FIXED)
            appointment.revise(actor, symptoms=changes.symptoms, appointment_type=changes.appointment_type)
            if changes.time is not None and changes.time != appointment.time_id:
                time_ids = await uow.doctors.available_time_ids(appointment.doctor_id) or ()
                appointment.reschedule(actor, changes.time, time_ids)
            if changes.cancel is True and not appointment.cancelled:
                # As the dated cancel does: cancelled_at, cancelled_by and the default reason.
                appointment.cancel(actor, at=self._clock.now())
            elif changes.cancel is False and appointment.cancelled:
                raise ValidationError.field("cancel", NO_REOPENING)
            if changes.appointment_status is not None:
                appointment.move_status(actor, changes.appointment_status)
            await uow.appointments.save(appointment)
            for action in _movements(before, _audited_state(appointment)):
                await uow.audit.append(entry(actor, action, ResourceType.APPOINTMENT, resource_id=appointment_id,
                                             patient_ids=[appointment.patient_id]))
            await uow.commit()
        return AppointmentRow.of(appointment)


class DeleteAppointment(AppointmentUseCase):
    """The patient who booked it, the doctor, or an admin deletes an appointment."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, appointment_id: int) -> None:
        async with attempt(self._audit, actor, AuditAction.DELETE, ResourceType.APPOINTMENT,
                           resource_id=appointment_id) as attempted, self._uow() as uow:
            appointment = await self._readable(uow, actor, appointment_id, attempted)
            appointment.ensure_deletable_by(actor)
            await uow.appointments.delete(appointment)
            await uow.audit.append(entry(actor, AuditAction.DELETE, ResourceType.APPOINTMENT,
                                         resource_id=appointment_id, patient_ids=[appointment.patient_id]))
            await uow.commit()


def _audited_state(appointment: Appointment) -> tuple[object, ...]:
    return (appointment.symptoms, appointment.appointment_type, appointment.time_id, appointment.cancelled,
            appointment.status)


def _movements(before: tuple[object, ...], after: tuple[object, ...]) -> list[AuditAction]:
    """The audit actions of a change: each kind of movement it made, or an update (also when it changed nothing)."""
    actions = []
    if before[:2] != after[:2]:
        actions.append(AuditAction.UPDATE)
    if before[2] != after[2]:
        actions.append(AuditAction.RESCHEDULE)
    if before[3] != after[3]:
        actions.append(AuditAction.CANCEL)
    if before[4] != after[4]:
        actions.append(AuditAction.STATUS_CHANGE)
    return actions or [AuditAction.UPDATE]
