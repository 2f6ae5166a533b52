"""Doctors and their available times for tests, made WITHOUT the catalogue use cases.

Test support only: the catalogue (designations, specialisations, times, doctor endpoints) is
built elsewhere, and care tests must not depend on it. In memory, catalogue ids are bare
numbers (nothing checks them). On SQLAlchemy the doctor's link tables have foreign keys to
available_times, designations and specialisations, so those rows are inserted here with the
tables, through the unit of work's ``session`` when it has one.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from sqlalchemy import insert

from hospital.adapters.sqlalchemy.tables import catalogue as tables
from hospital.application.actor import Actor
from hospital.bootstrap import Container
from hospital.domain.appointments import Appointment
from hospital.domain.doctors import Doctor
from tests.support.actors import actor_of, admin, register

_numbers = itertools.count(1)


async def _insert(session, table, **values) -> int:
    result = await session.execute(insert(table).values(**values).returning(table.c.id))
    return result.scalar_one()


async def add_available_times(container: Container, count: int = 2) -> list[int]:
    """Ids of ``count`` new available times."""
    async with container.unit_of_work() as uow:
        session = getattr(uow, "session", None)
        if session is None:
            return [1000 + next(_numbers) for _ in range(count)]
        ids = [await _insert(session, tables.available_times, time=f"Slot {next(_numbers)}") for _ in range(count)]
        await uow.commit()
    return ids


async def add_doctor(container: Container, user_id: int, time_ids: list[int], fee: int = 500) -> int:
    """Make the user a doctor offering ``time_ids``; returns the doctor's id."""
    async with container.unit_of_work() as uow:
        session = getattr(uow, "session", None)
        designation = specialisation = 1
        if session is not None:
            number = next(_numbers)
            designation = await _insert(session, tables.designations, name="Consultant", slug=f"consultant-{number}")
            specialisation = await _insert(session, tables.specialisations, name="Cardiology",
                                           slug=f"cardiology-{number}")
        doctor = Doctor.create(user_id=user_id, designation_ids=[designation], specialisation_ids=[specialisation],
                               available_time_ids=time_ids, fee=fee)
        await uow.doctors.add(doctor)
        await uow.commit()
    assert doctor.id is not None
    return doctor.id


async def register_doctor(container: Container, time_ids: list[int] | None = None,
                          username: str | None = None) -> Actor:
    """A registered user (so also a patient) who is a doctor; returns their actor."""
    user = await register(container, username)
    if time_ids is None:
        time_ids = await add_available_times(container)
    await add_doctor(container, user.user_id, time_ids)  # type: ignore[arg-type]
    return await actor_of(container, user.user_id)


@dataclass(frozen=True)
class Cast:
    """Everyone the permission rules tell apart, and the times each doctor offers."""

    owner: Actor
    other_patient: Actor
    doctor: Actor
    other_doctor: Actor
    admin: Actor
    doctor_times: list[int]
    other_doctor_times: list[int]

    def by_name(self, name: str) -> Actor:
        return getattr(self, name)


async def cast(container: Container) -> Cast:
    doctor_times = await add_available_times(container, 3)
    other_doctor_times = await add_available_times(container, 2)
    return Cast(
        owner=await register(container), other_patient=await register(container),
        doctor=await register_doctor(container, doctor_times),
        other_doctor=await register_doctor(container, other_doctor_times),
        admin=await admin(container), doctor_times=doctor_times, other_doctor_times=other_doctor_times,
    )


def booking(people: Cast, index: int = 0, *, symptoms: str = "", patient_id: int | None = None) -> Appointment:
    """A legacy booking of the cast's doctor (the owner's unless ``patient_id``), on the doctor's
    ``index``-th time (round the list), to hand to a unit of work."""
    times = people.doctor_times
    return Appointment.book(patient_id or people.owner.patient_id, people.doctor.doctor_id,
                            times[index % len(times)], "Online", symptoms or f"unit {index}", times)
