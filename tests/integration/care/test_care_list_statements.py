"""Lists cost a constant number of SQL statements, whatever the page size (DESIGN.md §6)."""

from __future__ import annotations

import pytest

from hospital.adapters.sqlalchemy.appointments import page_query
from hospital.application.pagination import PageRequest
from hospital.application.ports.appointments import AppointmentScope
from hospital.domain.appointments import Appointment
from tests.support.clinic import cast
from tests.support.sql_statements import counted_statements, engines_of


def counted(container):
    return counted_statements(*engines_of(container))


async def fill(container, people, count: int) -> None:
    async with container.unit_of_work() as uow:
        for index in range(count):
            patient = people.owner if index % 2 else people.other_patient
            await uow.appointments.add(Appointment.book(
                patient.patient_id, people.doctor.doctor_id, people.doctor_times[index % 3], "Online", "",
                people.doctor_times))
        await uow.commit()


async def statements_for(container, call) -> list[str]:
    with counted(container) as statements:
        await call()
    return [s for s in statements if s.lstrip().upper().startswith("SELECT")]


async def test_appointment_list_statements_do_not_grow_with_the_page(sql_container):
    people = await cast(sql_container)
    await fill(sql_container, people, 120)
    listing = sql_container.list_appointments()
    for actor in (people.admin, people.doctor, people.owner):
        small = await statements_for(sql_container, lambda actor=actor: listing(actor, page=PageRequest.of(1, 1)))
        large = await statements_for(sql_container, lambda actor=actor: listing(actor, page=PageRequest.of(1, 100)))
        assert len(small) == len(large) == 1, (small, large)  # the page, its total on each row
    page = await listing(people.admin, page=PageRequest.of(1, 100))
    assert len(page.items) == 100 and page.total == 120


async def test_patient_list_statements_do_not_grow_with_the_page(sql_container):
    people = await cast(sql_container)
    await fill(sql_container, people, 10)
    listing = sql_container.list_patients()
    for actor in (people.admin, people.doctor, people.owner):
        small = await statements_for(sql_container, lambda actor=actor: listing(actor, page=PageRequest.of(1, 1)))
        large = await statements_for(sql_container, lambda actor=actor: listing(actor, page=PageRequest.of(1, 100)))
        assert len(small) == len(large) == 1, (small, large)


async def test_a_scoped_page_is_an_index_range_scan_in_id_order(sql_container, database_url):
    """SQLite shows its plan plainly; PostgreSQL picks plans by table size, so it is not asked here."""
    if not database_url.startswith("sqlite"):
        pytest.skip("query plans are only checked on SQLite")
    for scope, index in ((AppointmentScope(patient_id=1), "ix_appointments_patient_id_id"),
                         (AppointmentScope(doctor_id=1), "ix_appointments_doctor_id_id")):
        query, values = page_query(PageRequest.of(1, 10), scope)
        engine = sql_container.engine()
        sql, parameters = query.bind(engine.dialect, values)
        async with engine.connect() as connection:
            plan = " | ".join(str(row[-1]) for row in await connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {sql}", tuple(parameters)))
        assert index in plan, plan
        assert "TEMP B-TREE" not in plan, plan  # no sort: the index already gives id order


async def test_a_patients_change_answers_with_the_username_read_at_its_load(sql_container):
    """One query: the record locked, with its user's username; no read of it after the save while the
    row is locked (on PostgreSQL writers of the row queue on that lock)."""
    from hospital.application.patients import PatientChanges

    people = await cast(sql_container)
    update = sql_container.update_patient()
    owner = people.owner
    with counted(sql_container) as statements:
        row = await update(owner, owner.patient_id, PatientChanges(phone="01712345670"))
    assert row == (await sql_container.get_patient()(owner, owner.patient_id))
    assert row.phone == "01712345670"
    queries = [s for s in statements if s.lstrip().upper().startswith("SELECT") and "is_staff" not in s]
    # Besides the check that no other patient has the phone: the load, which names the user.
    [load] = [s for s in queries if "patients.phone =" not in s]
    assert "username" in load
