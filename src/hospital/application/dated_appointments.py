"""Dated appointments (SCHEDULING.md sections 5 to 7): booking a slot, moving the status, cancelling
and rescheduling.

The slot a booking names is checked against the doctor's listed slots (on the grid, in a window,
within notice and horizon) and its busy status, for a clear answer; what makes a double booking
impossible is the database's constraint at the INSERT (or the in-memory store's at commit), whose
refusal is the same 409. Status moves, cancels and reschedules load the appointment and save it
with its version, so of a cancel racing a check-in one wins and the other runs again and is judged
on the winner's result (application/retry.py).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hospital.application.access import require_authenticated
from hospital.application.appointments import NOT_A_PATIENT, AppointmentUseCase
from hospital.application.auditing import attempt, entry
from hospital.application.ports.appointments import AppointmentRow
from hospital.application.ports.audit import AuditLog
from hospital.application.ports.clock import Clock
from hospital.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from hospital.application.retry import rerun_on_concurrent_change
from hospital.domain.actors import Actor
from hospital.domain.appointments import Appointment
from hospital.domain.audit import AuditAction, ResourceType
from hospital.domain.doctor_schedules import SLOT_MINUTES, DoctorSchedule
from hospital.domain.errors import ClashError, PermissionDeniedError, ValidationError
from hospital.domain.slots import (
    NOT_A_SLOT,
    SLOT_TAKEN,
    BusyInterval,
    Slot,
    SlotStatus,
    expand_slots,
    local_dates_around,
    slot_starting_at,
)

NOT_THE_SLOTS_TIME = "This is not the available time of the slot at this start."
NAIVE_START = "Give the time zone: end with Z or an offset such as +01:00."


def _unknown_doctor(doctor_id: int) -> str:
    return f'Invalid pk "{doctor_id}" - object does not exist.'


@dataclass(frozen=True, slots=True)
class SlotBooking:
    """A patient's booking of one of a doctor's slots; ``time``, if sent, must be the slot's."""

    doctor: int
    # An aware datetime, or RFC 3339 text with Z or an offset (parsed after the caller is known).
    start: datetime | str
    appointment_type: str
    symptoms: str = ""
    time: int | None = None


def checked_start(start: object) -> datetime:
    """An instant: an aware datetime, or RFC 3339 text with Z or an offset (400 under ``start`` else)."""
    if isinstance(start, str) and 10 < len(start) <= 64:
        with contextlib.suppress(ValueError):  # told below, with the format expected
            start = datetime.fromisoformat(start)
    if not isinstance(start, datetime):
        raise ValidationError.field("start", "Datetime has wrong format. Use RFC 3339, e.g. 2027-01-04T14:00:00Z.")
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValidationError.field("start", NAIVE_START)
    return start


class DatedUseCase(AppointmentUseCase):
    """The dated use cases' wiring, and finding the slot a request names."""

    def __init__(self, uow: UnitOfWorkFactory, audit: AuditLog, clock: Clock, default_timezone: str = "UTC") -> None:
        super().__init__(uow, audit, clock)
        self._default_timezone = default_timezone

    async def _slot(self, uow: UnitOfWork, doctor_id: int, start: object, *,
                    releasing: Appointment | None = None) -> Slot:
        """The doctor's listed slot starting at ``start`` (400 otherwise), 409 when it is busy.
        ``releasing``: an appointment this request frees first (a reschedule's old one)."""
        start = checked_start(start)
        # One read of the sources, before the zone is known: the local dates around ``start`` in any
        # zone (UTC-12 to UTC+14) lie within a day of its UTC date, and the busy intervals that can
        # overlap a slot at ``start`` begin before the longest slot would end. Only the slot at
        # ``start`` is looked at, and its status depends on those intervals alone.
        day = start.astimezone(UTC).date()
        sources = await uow.slot_sources.slot_sources(
            doctor_id, day - timedelta(days=2), day + timedelta(days=1), since=start,
            until=start + timedelta(minutes=SLOT_MINUTES[1]))
        if sources is None:
            raise ValidationError.field("doctor", _unknown_doctor(doctor_id))
        schedule = sources.schedule or DoctorSchedule.default(doctor_id, self._default_timezone)
        first, last = local_dates_around(start, schedule.zone)
        busy = list(sources.busy)
        if releasing is not None and releasing.occupies_time:
            own = BusyInterval(releasing.starts_at, releasing.ends_at)  # type: ignore[arg-type]
            if own in busy:
                busy.remove(own)
        slots = expand_slots(schedule, sources.windows, sources.exceptions, busy, first, last, self._clock.now())
        slot = slot_starting_at(slots, start)
        if slot is None:
            raise ValidationError.field("start", NOT_A_SLOT)
        if slot.status is SlotStatus.BUSY:
            raise ClashError.field("start", SLOT_TAKEN)
        return slot


class BookSlot(DatedUseCase):
    """A patient books one of a doctor's free slots for themself: status booked, start and end set."""

    async def __call__(self, actor: Actor, booking: SlotBooking) -> AppointmentRow:
        async with attempt(self._audit, actor, AuditAction.CREATE, ResourceType.APPOINTMENT,
                           patient_id=actor.patient_id):
            return await self._book(actor, booking)

    @rerun_on_concurrent_change
    async def _book(self, actor: Actor, booking: SlotBooking) -> AppointmentRow:
        require_authenticated(actor)
        if actor.patient_id is None:
            raise PermissionDeniedError(NOT_A_PATIENT)
        patient_id = actor.patient_id
        async with self._uow() as uow:
            slot = await self._slot(uow, booking.doctor, booking.start)
            if booking.time is not None and booking.time != slot.time:
                raise ValidationError.field("time", NOT_THE_SLOTS_TIME)
            appointment = Appointment.book_dated(
                patient_id, booking.doctor, start=slot.start, end=slot.end, time_id=slot.time,
                appointment_type=booking.appointment_type, symptoms=booking.symptoms)
            await uow.appointments.add(appointment)
            await uow.audit.append(entry(actor, AuditAction.CREATE, ResourceType.APPOINTMENT,
                                         resource_id=appointment.id, patient_ids=[patient_id]))
            await uow.commit()
        return AppointmentRow.of(appointment)


class MoveAppointmentStatus(DatedUseCase):
    """The doctor of the appointment or an admin moves its status (appointment_lifecycle.MOVES)."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, appointment_id: int, status: object) -> AppointmentRow:
        async with attempt(self._audit, actor, AuditAction.STATUS_CHANGE, ResourceType.APPOINTMENT,
                           resource_id=appointment_id) as attempted, self._uow() as uow:
            appointment = await self._readable(uow, actor, appointment_id, attempted)
            appointment.change_status(actor, status, now=self._clock.now())  # type: ignore[arg-type]
            await uow.appointments.save(appointment)
            await uow.audit.append(entry(actor, AuditAction.STATUS_CHANGE, ResourceType.APPOINTMENT,
                                         resource_id=appointment_id, patient_ids=[appointment.patient_id]))
            await uow.commit()
        return AppointmentRow.of(appointment)


@dataclass(frozen=True, slots=True)
class CancelCommand:
    """Why an appointment is cancelled: ``reason``, an HL7 cancellation-reason code (None: the default
    for who cancels), and a free-text ``note``."""

    reason: str | None = None
    note: str | None = None


class CancelAppointment(DatedUseCase):
    """Its patient, its doctor or an admin cancels it, with an HL7 reason (defaults by who cancels)."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, appointment_id: int,
                       command: CancelCommand = CancelCommand()) -> AppointmentRow:
        async with attempt(self._audit, actor, AuditAction.CANCEL, ResourceType.APPOINTMENT,
                           resource_id=appointment_id) as attempted, self._uow() as uow:
            appointment = await self._readable(uow, actor, appointment_id, attempted)
            appointment.cancel(actor, reason=command.reason, note=command.note, at=self._clock.now())
            await uow.appointments.save(appointment)
            await uow.audit.append(entry(actor, AuditAction.CANCEL, ResourceType.APPOINTMENT,
                                         resource_id=appointment_id, patient_ids=[appointment.patient_id]))
            await uow.commit()
        return AppointmentRow.of(appointment)


class RescheduleAppointment(DatedUseCase):
    """Moves an appointment to another of its doctor's slots: a NEW appointment (booked, ``replaces``
    the old), the old cancelled with ``replaced_by``, in one transaction. The old one is released
    first, so 09:00 can move to 09:15; a taken or invalid target leaves the old one untouched."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, appointment_id: int, start: datetime | str) -> AppointmentRow:
        async with attempt(self._audit, actor, AuditAction.RESCHEDULE, ResourceType.APPOINTMENT,
                           resource_id=appointment_id) as attempted, self._uow() as uow:
            old = await self._readable(uow, actor, appointment_id, attempted)
            old.ensure_reschedulable_by(actor)
            slot = await self._slot(uow, old.doctor_id, start, releasing=old)
            now = self._clock.now()
            old.cancel(actor, at=now)
            await uow.appointments.save(old)
            new = Appointment.book_dated(
                old.patient_id, old.doctor_id, start=slot.start, end=slot.end, time_id=slot.time,
                appointment_type=old.appointment_type, symptoms=old.symptoms, replaces=old.id)
            await uow.appointments.add(new)
            old.replaced_by = new.id
            await uow.appointments.save(old)
            # The old appointment's reschedule (its cancellation, replaced_by) and the new one's creation.
            await uow.audit.append(entry(actor, AuditAction.RESCHEDULE, ResourceType.APPOINTMENT,
                                         resource_id=appointment_id, patient_ids=[old.patient_id]))
            await uow.audit.append(entry(actor, AuditAction.CREATE, ResourceType.APPOINTMENT,
                                         resource_id=new.id, patient_ids=[new.patient_id]))
            await uow.commit()
        return AppointmentRow.of(new)
