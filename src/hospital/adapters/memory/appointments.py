"""In-memory appointments: the repository and the list query."""

from __future__ import annotations

from hospital.adapters.memory.accounts import PATIENTS
from hospital.adapters.memory.catalogue import DOCTORS
from hospital.adapters.memory.database import InMemoryTable
from hospital.adapters.memory.schedules import sources_version as current_sources_version
from hospital.application.pagination import Page, PageRequest
from hospital.application.ports.appointments import AppointmentRow, AppointmentScope, AppointmentWhen, BookingOutcome
from hospital.domain.appointments import REMOVED_WHILE_BOOKING, Appointment
from hospital.domain.errors import ConflictError


def in_scope(appointment: Appointment, scope: AppointmentScope | None) -> bool:
    if scope is None:
        return True
    return (scope.patient_id is not None and appointment.patient_id == scope.patient_id) or (
        scope.doctor_id is not None and appointment.doctor_id == scope.doctor_id
    )


class InMemoryAppointmentRepository(InMemoryTable):
    table_name = "appointments"

    async def add(self, appointment: Appointment) -> None:
        self._insert(appointment)

    async def book_slot(self, appointment: Appointment, sources_version: object) -> bool:
        # The check and the insert are one step: the unit of work holds the database's one lock.
        if sources_version != current_sources_version(self._db, appointment.doctor_id):
            return False
        self._insert(appointment)
        return True

    async def book(self, appointment: Appointment) -> BookingOutcome:
        # The check and the insert are one step: the unit of work holds the database's one lock.
        doctor = self._db.table(DOCTORS).get(appointment.doctor_id)
        if doctor is None or appointment.time_id not in doctor.available_time_ids:
            return BookingOutcome.TIME_NOT_OFFERED
        if appointment.patient_id not in self._db.table(PATIENTS):  # a foreign key, in SQL
            raise ConflictError(REMOVED_WHILE_BOOKING)
        self._insert(appointment)
        return BookingOutcome.BOOKED

    async def get(self, appointment_id: int) -> Appointment | None:
        return self._rows.get(appointment_id)

    async def save(self, appointment: Appointment) -> None:
        self._store(appointment)

    async def delete(self, appointment: Appointment) -> None:
        self._remove(appointment)

    async def exists_between(self, *, patient_id: int, doctor_id: int) -> bool:
        return any(a.patient_id == patient_id and a.doctor_id == doctor_id for a in self._rows.values())


class InMemoryAppointmentQueries(InMemoryTable):
    table_name = "appointments"

    async def get(self, appointment_id: int, *, scope: AppointmentScope | None) -> AppointmentRow | None:
        appointment = self._rows.get(appointment_id)
        return AppointmentRow.of(appointment) if appointment is not None and in_scope(appointment, scope) else None

    async def list(self, *, page: PageRequest, scope: AppointmentScope | None,
                   patient_id: int | None = None, doctor_id: int | None = None,
                   when: AppointmentWhen | None = None) -> Page[AppointmentRow]:
        rows = (
            AppointmentRow.of(appointment) for appointment in self._sorted()
            if in_scope(appointment, scope)
            and (patient_id is None or appointment.patient_id == patient_id)
            and (doctor_id is None or appointment.doctor_id == doctor_id)
        )
        matches = [row for row in rows if when is None or when.matches(row)]
        return Page(matches[page.offset:page.offset + page.limit], len(matches), page)
