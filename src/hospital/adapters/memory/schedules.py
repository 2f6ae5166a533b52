"""In-memory schedules: the repository and the slot sources read port, with the SQL store's rules."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from datetime import date, datetime

from hospital.adapters.memory.catalogue import DOCTORS
from hospital.adapters.memory.database import InMemoryTable, InMemoryTransaction
from hospital.application.ports.schedules import BookableSources, SlotSources
from hospital.domain.doctor_schedules import DoctorSchedule, ScheduleException
from hospital.domain.slots import BusyInterval
from hospital.domain.time_windows import LocalWindow

SCHEDULES = "doctor_schedules"
EXCEPTIONS = "schedule_exceptions"
APPOINTMENTS = "appointments"
AVAILABLE_TIMES = "available_times"


class InMemoryScheduleRepository(InMemoryTable):
    table_name = SCHEDULES

    async def get(self, doctor_id: int) -> DoctorSchedule | None:
        return self._rows.get(doctor_id)

    async def save(self, schedule: DoctorSchedule) -> None:
        self._rows[schedule.doctor_id] = schedule

    async def add_exception(self, exception: ScheduleException) -> None:
        exception.id = self._db.next_id(EXCEPTIONS)
        self._db.table(EXCEPTIONS)[exception.id] = exception

    async def get_exception(self, doctor_id: int, exception_id: int) -> ScheduleException | None:
        exception = self._db.table(EXCEPTIONS).get(exception_id)
        return exception if exception is not None and exception.doctor_id == doctor_id else None

    async def delete_exception(self, exception: ScheduleException) -> None:
        self._db.table(EXCEPTIONS).pop(exception.id, None)


def sources_version(db: InMemoryTransaction, doctor_id: int) -> object:
    """What the doctor's slots are made from, as one comparable value: the in-memory store's
    version of them (the SQL store keeps a counter moved by triggers)."""
    doctor = db.table(DOCTORS).get(doctor_id)
    times = db.table(AVAILABLE_TIMES)
    offered = () if doctor is None else tuple(
        (time_id, times[time_id].window) for time_id in doctor.available_time_ids if time_id in times)
    exceptions = tuple(sorted((e.date, e.windows) for e in db.table(EXCEPTIONS).values() if e.doctor_id == doctor_id))
    schedule = db.table(SCHEDULES).get(doctor_id)
    settings = None if schedule is None else (
        schedule.timezone, schedule.slot_minutes, schedule.min_notice_minutes, schedule.horizon_days, schedule.rules)
    return settings, offered, exceptions


class InMemorySlotSourceQueries(InMemoryTable):
    table_name = SCHEDULES

    def _windows(self, time_ids: Iterable[int]) -> dict[int, LocalWindow | None]:
        """The windows of the doctor's offered times that still exist, by time id."""
        times = self._db.table(AVAILABLE_TIMES)
        return {time_id: times[time_id].window for time_id in time_ids if time_id in times}

    def _exceptions_of(self, doctor_id: int, on: Callable[[date], bool]) -> list[ScheduleException]:
        """Copies of the doctor's date exceptions whose date passes ``on``, in date order."""
        return sorted((copy.copy(e) for e in self._db.table(EXCEPTIONS).values()
                       if e.doctor_id == doctor_id and on(e.date)), key=lambda exception: exception.date)

    async def bookable(self, doctor_id: int, *, since: date) -> BookableSources | None:
        doctor = self._db.table(DOCTORS).get(doctor_id)
        if doctor is None:
            return None
        windows = self._windows(doctor.available_time_ids)
        exceptions = self._exceptions_of(doctor_id, lambda day: day >= since)
        return BookableSources(schedule=copy.copy(self._rows.get(doctor_id)), windows=windows, exceptions=exceptions,
                               since=since, version=sources_version(self._db, doctor_id))

    async def slot_sources(self, doctor_id: int, first: date, last: date, *, since: datetime,
                           until: datetime) -> SlotSources | None:
        doctor = self._db.table(DOCTORS).get(doctor_id)
        if doctor is None:
            return None
        windows = self._windows(doctor.available_time_ids)
        exceptions = self._exceptions_of(doctor_id, lambda day: first <= day <= last)
        busy = [BusyInterval(a.starts_at, a.ends_at) for a in self._db.table(APPOINTMENTS).values()
                if a.doctor_id == doctor_id and a.occupies_time and a.starts_at < until and a.ends_at > since]
        return SlotSources(schedule=copy.copy(self._rows.get(doctor_id)), windows=windows, exceptions=exceptions,
                           busy=busy)

    async def schedule(self, doctor_id: int) -> SlotSources | None:
        doctor = self._db.table(DOCTORS).get(doctor_id)
        if doctor is None:
            return None
        windows = self._windows(doctor.available_time_ids)
        return SlotSources(schedule=copy.copy(self._rows.get(doctor_id)), windows=windows)

    async def exceptions(self, doctor_id: int) -> list[ScheduleException] | None:
        if doctor_id not in self._db.table(DOCTORS):
            return None
        return sorted((copy.copy(e) for e in self._db.table(EXCEPTIONS).values() if e.doctor_id == doctor_id),
                      key=lambda exception: exception.date)
