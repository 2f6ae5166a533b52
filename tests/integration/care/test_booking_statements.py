"""A booking costs two statements: the doctor's time ids, and one INSERT ... RETURNING (DESIGN.md §6).

It used to load the whole doctor through the ORM (the doctor, then its three link tables) and flush
the new appointment through the ORM's unit of work.
"""

from __future__ import annotations

import pytest

from hospital.application.appointments import Booking
from hospital.domain.errors import ValidationError
from tests.support.clinic import cast
from tests.support.sql_statements import counted_statements, engines_of


async def test_a_booking_reads_the_doctors_times_and_inserts_once(sql_container):
    people = await cast(sql_container)
    book = sql_container.book_appointment()
    booking = Booking(doctor_id=people.doctor.doctor_id, time_id=people.doctor_times[0], appointment_type="Online",
                      symptoms="cough")
    with counted_statements(*engines_of(sql_container)) as statements:
        row = await book(people.owner, booking)
    assert [s.split()[0].upper() for s in statements] == ["SELECT", "INSERT"], statements
    assert "appointments" in statements[1] and "RETURNING" in statements[1].upper()
    assert row.id is not None and row.time_id == people.doctor_times[0]
    async with sql_container.unit_of_work() as uow:
        stored = await uow.appointments.get(row.id)
    assert (stored.patient_id, stored.doctor_id, stored.symptoms) == (people.owner.patient_id,
                                                                      people.doctor.doctor_id, "cough")


async def test_a_refused_booking_stops_after_the_read(sql_container):
    people = await cast(sql_container)
    booking = Booking(doctor_id=people.doctor.doctor_id, time_id=people.other_doctor_times[0],
                      appointment_type="Online")
    with counted_statements(*engines_of(sql_container)) as statements, pytest.raises(ValidationError):
        await sql_container.book_appointment()(people.owner, booking)
    assert [s.split()[0].upper() for s in statements] == ["SELECT"], statements
