"""A booking is one statement: an INSERT ... SELECT ... RETURNING that stores the appointment only if
its doctor offers its time (DESIGN.md §6), and its audit event, in the same transaction: one
statement more on PostgreSQL (event and patient links in one, sent in the COMMIT's round trip:
test_statements_with_commit.py), two on SQLite (in process).

It used to load the whole doctor through the ORM (the doctor, then its three link tables) and flush
the new appointment through the ORM's unit of work; then it read the doctor's times and inserted,
two statements with room between them for a change to the doctor's times.
"""

from __future__ import annotations

import pytest

from hospital.application.appointments import Booking
from hospital.application.pagination import PageRequest
from hospital.domain.errors import ValidationError
from tests.support.clinic import cast
from tests.support.sql_statements import counted_statements, engines_of


def _verbs(statements: list[str]) -> list[str]:
    return [statement.split()[0].upper() for statement in statements]


async def _appointment_count(container) -> int:
    return (await container.read_side().appointments.list(page=PageRequest(), scope=None)).total


async def test_a_booking_is_one_insert_that_checks_the_doctors_times(sql_container):
    people = await cast(sql_container)
    book = sql_container.book_appointment()
    booking = Booking(doctor=people.doctor.doctor_id, time=people.doctor_times[0], appointment_type="Online",
                      symptoms="cough")
    await sql_container.audit_log().flush()  # the set-up's logins: not written by the timer while counted
    with counted_statements(*engines_of(sql_container)) as statements:
        row = await book(people.owner, booking)
    appointment, *audit = statements
    assert _verbs([appointment]) == ["INSERT"], statements
    assert "doctor_available_times" in appointment and "RETURNING" in appointment.upper()
    postgres = sql_container.engine().dialect.name == "postgresql"
    assert len(audit) == (1 if postgres else 2) and all("INSERT INTO audit_event" in statement for statement in audit)
    assert row.id is not None and row.time == people.doctor_times[0]
    async with sql_container.unit_of_work() as uow:
        stored = await uow.appointments.get(row.id)
    assert (stored.patient_id, stored.doctor_id, stored.symptoms) == (people.owner.patient_id,
                                                                      people.doctor.doctor_id, "cough")


async def test_a_time_the_doctor_does_not_offer_stores_nothing_then_reads_the_times_for_the_error(sql_container):
    people = await cast(sql_container)
    booking = Booking(doctor=people.doctor.doctor_id, time=people.other_doctor_times[0],
                      appointment_type="Online")
    await sql_container.audit_log().flush()  # the set-up's logins: not written by the timer while counted
    with counted_statements(*engines_of(sql_container)) as statements, pytest.raises(ValidationError) as refused:
        await sql_container.book_appointment()(people.owner, booking)
    assert _verbs(statements) == ["INSERT", "SELECT"], statements
    assert set(refused.value.errors) == {"time"}
    assert await _appointment_count(sql_container) == 0


async def test_invalid_input_reads_the_doctors_times_and_inserts_nothing(sql_container):
    people = await cast(sql_container)
    booking = Booking(doctor=people.doctor.doctor_id, time=people.other_doctor_times[0],
                      appointment_type="Telepathy")
    await sql_container.audit_log().flush()  # the set-up's logins: not written by the timer while counted
    with counted_statements(*engines_of(sql_container)) as statements, pytest.raises(ValidationError) as refused:
        await sql_container.book_appointment()(people.owner, booking)
    assert _verbs(statements) == ["SELECT"], statements
    assert set(refused.value.errors) == {"appointment_type", "time"}  # every problem at once, as before
