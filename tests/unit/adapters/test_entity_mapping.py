"""Which entities the ORM maps (adapters/sqlalchemy/mapping.py): an appointment stays a plain dataclass,
so making one (a booking makes one per request) runs no instrumented ``__init__`` or attribute events."""

from __future__ import annotations

from sqlalchemy import inspect

from hospital.adapters.sqlalchemy.mapping import start_mappers
from hospital.domain.appointments import Appointment, AppointmentType


def test_an_appointment_is_not_mapped_by_the_orm():
    start_mappers()
    assert inspect(Appointment, raiseerr=False) is None
    appointment = Appointment(patient_id=1, doctor_id=2, time_id=3, appointment_type=AppointmentType.ONLINE)
    assert not hasattr(appointment, "_sa_instance_state")
