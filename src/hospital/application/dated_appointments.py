"""Dated appointments (SCHEDULING.md sections 5 to 7): booking a slot, moving the status, cancelling
and rescheduling.

The slot a booking names is checked against the doctor's listed slots (on the grid, in a window,
within notice and horizon), from a kept copy of the doctor's schedule whose version the INSERT
checks (``DatedUseCase``); what makes a double booking impossible, and answers a taken slot with a
409, is the database's overlap constraint at the INSERT (or the in-memory store's at commit).
Status moves, cancels and reschedules load the appointment and save it with its version, so of a
cancel racing a check-in one wins and the other runs again and is judged on the winner's result (application/retry.py).
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from hospital.application.access import require_authenticated
from hospital.application.appointments import NOT_A_PATIENT, AppointmentUseCase
from hospital.application.auditing import attempt, entry
from hospital.application.errors import ConcurrentChangeError
from hospital.application.ports.appointments import AppointmentRow
from hospital.application.ports.audit import AuditLog
from hospital.application.ports.clock import Clock
from hospital.application.ports.schedules import BookableSources
from hospital.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from hospital.application.retry import rerun_on_concurrent_change
from hospital.domain.actors import Actor
from hospital.domain.appointments import Appointment
from hospital.domain.audit import AuditAction, ResourceType
from hospital.domain.doctor_schedules import DoctorSchedule
from hospital.domain.errors import PermissionDeniedError, ValidationError
from hospital.domain.slots import NOT_A_SLOT, Slot, free_slot_at

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


# How many doctors' bookable sources a use case keeps (each: a schedule, its windows and exceptions).
KEPT_DOCTORS = 256


class DatedUseCase(AppointmentUseCase):
    """The dated use cases' wiring, and finding the slot a request names.

    A slot is checked against the doctor's schedule, windows and date exceptions as this use case
    last read them (``BookableSources``, kept per doctor), and stored only if they are still at that
    version when the INSERT runs (``AppointmentRepository.book_slot``): a booking reads nothing
    before its INSERT while the doctor's schedule stands. A copy refused by the store, or one by
    which the start is no slot, is read again before the answer. Whether the slot is free is not
    looked at: the store's overlap constraint refuses a taken one as it inserts (409), whatever ran
    between a look and the insert."""

    def __init__(self, uow: UnitOfWorkFactory, audit: AuditLog, clock: Clock, default_timezone: str = "UTC") -> None:
        super().__init__(uow, audit, clock)
        self._default_timezone = default_timezone
        self._kept: OrderedDict[int, BookableSources] = OrderedDict()

    async def _sources(self, uow: UnitOfWork, doctor_id: int, day: date, *, fresh: bool) -> BookableSources:
        """The doctor's sources covering the slots of UTC date ``day``: kept ones unless ``fresh``."""
        kept = None if fresh else self._kept.get(doctor_id)
        # A start's local dates (any zone, and the day before for a DST-stretched window) lie within
        # two days before its UTC date.
        if kept is not None and kept.since <= day - timedelta(days=2):
            self._kept.move_to_end(doctor_id)
            return kept
        since = min(self._clock.now().astimezone(UTC).date(), day) - timedelta(days=2)
        sources = await uow.slot_sources.bookable(doctor_id, since=since)
        if sources is None:
            self._kept.pop(doctor_id, None)
            raise ValidationError.field("doctor", _unknown_doctor(doctor_id))
        self._kept[doctor_id] = sources
        if len(self._kept) > KEPT_DOCTORS:
            self._kept.popitem(last=False)
        return sources

    async def _slot(self, uow: UnitOfWork, doctor_id: int, start: object, *,
                    fresh: bool = False) -> tuple[Slot, object]:
        """The doctor's listed slot starting at ``start`` (400 otherwise), and the version of the
        sources it was found in, which the INSERT checks. ``fresh``: read the sources again."""
        start = checked_start(start)
        day = start.astimezone(UTC).date()
        while True:
            sources = await self._sources(uow, doctor_id, day, fresh=fresh)
            schedule = sources.schedule or DoctorSchedule.default(doctor_id, self._default_timezone)
            slot = free_slot_at(schedule, sources.windows, sources.exceptions, (), start, self._clock.now())
            if slot is not None:
                return slot, sources.version
            if fresh:
                raise ValidationError.field("start", NOT_A_SLOT)
            fresh = True  # the schedule may have changed since it was kept: told by the current one

    async def _booked(self, uow: UnitOfWork, doctor_id: int, start: object,
                      appointment_of: Callable[[Slot], Appointment]) -> Appointment:
        """The appointment ``appointment_of`` makes of the slot at ``start``, stored; once more with
        the sources read again if the kept ones were stale; ``ConcurrentChangeError`` (the unit runs
        again) if the schedule changed again meanwhile."""
        for fresh in (False, True):
            slot, version = await self._slot(uow, doctor_id, start, fresh=fresh)
            appointment = appointment_of(slot)
            if await uow.appointments.book_slot(appointment, version):
                return appointment
        raise ConcurrentChangeError()


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
        def appointment_of(slot: Slot) -> Appointment:
            if booking.time is not None and booking.time != slot.time:
                raise ValidationError.field("time", NOT_THE_SLOTS_TIME)
            return Appointment.book_dated(
                patient_id, booking.doctor, start=slot.start, end=slot.end, time_id=slot.time,
                appointment_type=booking.appointment_type, symptoms=booking.symptoms)

        async with self._uow() as uow:
            appointment = await self._booked(uow, booking.doctor, booking.start, appointment_of)
            await uow.audit.append(entry(actor, AuditAction.CREATE, ResourceType.APPOINTMENT,
                                         resource_id=appointment.id, patient_ids=[patient_id]))
            try:
                await uow.commit()
            except ConcurrentChangeError:
                # A store may check the sources' version only as it commits (book_slot's port): the
                # run again reads them afresh, as a refused book_slot would have.
                self._kept.pop(booking.doctor, None)
                raise
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
            # The target is checked before anything is written: an invalid one leaves the old untouched.
            await self._slot(uow, old.doctor_id, start)
            old.cancel(actor, at=self._clock.now())
            await uow.appointments.save(old)  # released first: its own slot's neighbours are free to it

            def appointment_of(slot: Slot) -> Appointment:
                return Appointment.book_dated(
                    old.patient_id, old.doctor_id, start=slot.start, end=slot.end, time_id=slot.time,
                    appointment_type=old.appointment_type, symptoms=old.symptoms, replaces=old.id)

            new = await self._booked(uow, old.doctor_id, start, appointment_of)
            old.replaced_by = new.id
            await uow.appointments.save(old)
            # The old appointment's reschedule (its cancellation, replaced_by) and the new one's creation.
            await uow.audit.append(entry(actor, AuditAction.RESCHEDULE, ResourceType.APPOINTMENT,
                                         resource_id=appointment_id, patient_ids=[old.patient_id]))
            await uow.audit.append(entry(actor, AuditAction.CREATE, ResourceType.APPOINTMENT,
                                         resource_id=new.id, patient_ids=[new.patient_id]))
            await uow.commit()
        return AppointmentRow.of(new)
