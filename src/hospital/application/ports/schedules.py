"""Doctors' schedules: the repository that changes them, and the read port slot listing runs on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from hospital.domain.doctor_schedules import DoctorSchedule, ScheduleException
from hospital.domain.slots import BusyInterval
from hospital.domain.time_windows import LocalWindow


class ScheduleRepository(Protocol):
    async def get(self, doctor_id: int) -> DoctorSchedule | None:
        """The doctor's schedule as set, or None when it was never set."""
        ...

    async def save(self, schedule: DoctorSchedule) -> None:
        """Store the schedule, replacing the doctor's former one and all its rules."""
        ...

    async def add_exception(self, exception: ScheduleException) -> None:
        """Store a new date exception and give it an id. A second one for the same doctor and date is
        refused (``DuplicateExceptionError``) when written or at the latest at commit."""
        ...

    async def get_exception(self, doctor_id: int, exception_id: int) -> ScheduleException | None: ...

    async def delete_exception(self, exception: ScheduleException) -> None: ...


@dataclass(frozen=True, slots=True)
class SlotSources:
    """What a doctor's slots over some dates are computed from (domain/slots.py expand_slots)."""

    # None: the doctor never set a schedule (the defaults apply).
    schedule: DoctorSchedule | None
    # Each available time the doctor offers, with its window (None: windowless).
    windows: dict[int, LocalWindow | None] = field(default_factory=dict)
    exceptions: list[ScheduleException] = field(default_factory=list)
    busy: list[BusyInterval] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BookableSources:
    """What a booking's slot is checked against: the doctor's schedule, windows and date exceptions
    from ``since`` on, as the store held them at ``version``. A booking's INSERT stores nothing if the
    doctor's version is another by then (``AppointmentRepository.book_slot``), so these may be kept
    and used again: a stale copy can never book a slot the doctor no longer offers."""

    schedule: DoctorSchedule | None
    windows: dict[int, LocalWindow | None]
    exceptions: list[ScheduleException]
    since: date
    # Opaque to the application: only compared by the store.
    version: object


class SlotSourceQueries(Protocol):
    async def slot_sources(self, doctor_id: int, first: date, last: date, *, since: datetime,
                           until: datetime) -> SlotSources | None:
        """The doctor's schedule with its rules and the windows of the doctor's available times (one
        query), the date exceptions of ``first``..``last`` (one query), and the intervals of the
        doctor's occupying appointments that overlap [since, until) (one query); None for no such
        doctor. In a unit of work that wrote, it sees the unit's own writes.

        The answer is the caller's to read, not to change: an adapter may answer the very same
        object again while the rows it was made from are unchanged (the SQL read side does, so
        that ``ListSlots`` can tell unchanged sources by identity and reuse its expansion)."""
        ...

    async def bookable(self, doctor_id: int, *, since: date) -> BookableSources | None:
        """The doctor's schedule, windows and date exceptions from ``since`` on, with the version
        they are at (one query on PostgreSQL; on SQLite the version is read first, so it is never
        newer than the rows); None for no such doctor."""
        ...

    async def schedule(self, doctor_id: int) -> SlotSources | None:
        """The doctor's schedule and windows only (one query); None for no such doctor."""
        ...

    async def exceptions(self, doctor_id: int) -> list[ScheduleException] | None:
        """Every date exception of the doctor, by date; None for no such doctor."""
        ...
