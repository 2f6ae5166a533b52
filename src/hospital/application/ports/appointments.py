"""Appointments: the repository the use cases change them through, and the read side for lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from hospital.application.pagination import Page, PageRequest
from hospital.domain.appointments import Appointment


class BookingOutcome(StrEnum):
    """What ``AppointmentRepository.book`` did: stored the appointment, or nothing."""

    BOOKED = "booked"
    TIME_NOT_OFFERED = "time not offered"


class AppointmentRepository(Protocol):
    async def add(self, appointment: Appointment) -> None:
        """Store a new appointment and give it an id. A dated one that overlaps another of its doctor
        or patient is refused by the store as the INSERT runs (ClashError, 409)."""
        ...

    async def book_slot(self, appointment: Appointment, sources_version: object) -> bool:
        """Store a new dated appointment and give it an id (True) if its doctor's slot sources are
        still at ``sources_version`` (``BookableSources.version``) as the statement runs; else store
        nothing (False): the schedule changed since the slot was checked against it. One statement:
        no change to the schedule falls between the check and the insert. An overlap with another
        occupying appointment of its doctor or patient is refused by the store as it runs
        (ClashError, 409).

        A store may hold the statement until the unit commits, when it is the unit's only write
        (PostgreSQL, with its audit event: one round trip): True then means "held", the id is given
        at commit, and the commit tells what the statement would have: ``ConcurrentChangeError`` for
        sources no longer at ``sources_version`` (the unit runs again), ClashError for an overlap.
        The unit's audit entry of its creation, appended with no resource id, names it."""
        ...

    async def book(self, appointment: Appointment) -> BookingOutcome:
        """Store a new appointment if its doctor offers its time, and give it an id (BOOKED); else
        store nothing (TIME_NOT_OFFERED, also for a doctor that does not exist).

        The store checks "the doctor offers this time" in the same statement as the insert (SQL:
        ``INSERT ... SELECT ... WHERE`` the doctor's time exists), so no change to the doctor's times
        can fall between the check and the insert. A patient or doctor deleted by a transaction
        that committed first is a ConflictError (REMOVED_WHILE_BOOKING).

        When ``book`` (or any statement of this repository) is the unit of work's first, its
        transaction runs on the database driver: until it commits or rolls back, the repositories
        the SQL store serves through its ORM session raise ``SessionUnavailableError``
        (ports/unit_of_work.py).
        """
        ...

    async def get(self, appointment_id: int) -> Appointment | None: ...

    async def save(self, appointment: Appointment) -> None:
        """Persist changes made to an appointment got from this repository.
        ConcurrentChangeError if it changed or went since it was read (unit_of_work.py)."""
        ...

    async def delete(self, appointment: Appointment) -> None:
        """Remove it.
        ConcurrentChangeError if it changed or went since it was read (unit_of_work.py)."""
        ...

    async def exists_between(self, *, patient_id: int, doctor_id: int) -> bool:
        """Whether the patient has any appointment (in any state) with the doctor."""
        ...


@dataclass(frozen=True, slots=True)
class AppointmentRow:
    """An appointment as the endpoints answer: the wire's field names, the enums as their wire strings,
    and the patient, doctor and time as their ids."""

    id: int
    patient: int
    doctor: int
    appointment_type: str
    appointment_status: str
    symptoms: str
    time: int | None
    cancel: bool
    # Dated scheduling (SCHEDULING.md section 5): None until they apply; `status` is FHIR's status, of
    # which `appointment_status` and `cancel` are the guide's projections.
    start: datetime | None = None
    end: datetime | None = None
    status: str = "proposed"
    cancellation_reason: str | None = None
    cancelled_by: int | None = None
    cancelled_at: datetime | None = None
    replaces: int | None = None
    replaced_by: int | None = None

    @classmethod
    def of(cls, appointment: Appointment) -> AppointmentRow:
        assert appointment.id is not None
        return cls(
            id=appointment.id, patient=appointment.patient_id, doctor=appointment.doctor_id,
            appointment_type=str(appointment.appointment_type), appointment_status=str(appointment.status),
            symptoms=appointment.symptoms, time=appointment.time_id, cancel=appointment.cancelled,
            start=appointment.starts_at, end=appointment.ends_at, status=str(appointment.fhir_status),
            cancellation_reason=appointment.cancellation_reason, cancelled_by=appointment.cancelled_by,
            cancelled_at=appointment.cancelled_at, replaces=appointment.replaces, replaced_by=appointment.replaced_by,
        )


@dataclass(frozen=True, slots=True)
class AppointmentScope:
    """A non-admin caller sees the appointments they booked (as a patient) or are the doctor of.

    Either may be None; with both None nothing is visible. Admins list with no scope at all.
    """

    patient_id: int | None = None
    doctor_id: int | None = None


@dataclass(frozen=True, slots=True)
class AppointmentWhen:
    """The list's filters on the dated fields (SCHEDULING.md section 5): FHIR ``status`` equal to this code,
    ``start`` at or after ``starts_from`` and before ``starts_before``. A bound on ``start`` leaves out the
    undated appointments (they have no ``start``); None is no condition."""

    status: str | None = None
    starts_from: datetime | None = None
    starts_before: datetime | None = None

    def matches(self, row: AppointmentRow) -> bool:
        """The same condition in Python (the in-memory read side)."""
        if self.status is not None and row.status != self.status:
            return False
        if self.starts_from is not None and (row.start is None or row.start < self.starts_from):
            return False
        return self.starts_before is None or (row.start is not None and row.start < self.starts_before)


class AppointmentQueries(Protocol):
    """The read side of appointments (read_side.py says what every read port guarantees)."""

    async def get(self, appointment_id: int, *, scope: AppointmentScope | None) -> AppointmentRow | None:
        """The appointment, if it is within ``scope`` (None: any); else None, as if it did not exist."""
        ...

    async def list(self, *, page: PageRequest, scope: AppointmentScope | None,
                   patient_id: int | None = None, doctor_id: int | None = None,
                   when: AppointmentWhen | None = None) -> Page[AppointmentRow]:
        """Ordered by id; the filters narrow the scope, they never widen it."""
        ...
