"""Listing slots costs three queries whatever the range and the bookings (the schedule with its
windows, the date exceptions, the busy intervals), all on the read side's connections: no statement
per day or per slot, and no ORM session or unit of work for a pure read. Both databases run them as
one statement answering one value per query (PostgreSQL: arrays and bytes; SQLite: texts)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hospital.adapters.sqlalchemy.schedules import _ALL_THREE
from hospital.application.actor import ANONYMOUS
from hospital.application.dated_appointments import SlotBooking
from hospital.application.doctor_schedules import utc_span
from hospital.domain.doctor_schedules import LONGEST_APPOINTMENT
from tests.support.scheduling import clinic, next_monday_at
from tests.support.sql_statements import counted_statements, engines_of


async def test_listing_31_days_of_slots_with_bookings_is_one_statement_on_the_read_side(sql_container):
    place = await clinic(sql_container)
    monday = next_monday_at(9)
    for day in range(0, 28, 3):
        await sql_container.book_slot()(place.patient, SlotBooking(
            doctor=place.doctor.doctor_id, start=monday + timedelta(days=day), appointment_type="Online"))
    first, last = monday.date(), monday.date() + timedelta(days=30)
    engine = sql_container.engine().sync_engine
    for _ in range(2):  # the first expands, the second reuses: the same statements either way
        with counted_statements(engine) as through_the_engine, \
                counted_statements(*engines_of(sql_container)) as statements:
            slots = await sql_container.list_slots()(ANONYMOUS, place.doctor.doctor_id, str(first), str(last))
        assert len(statements) == 1, statements
        assert all(table in statements[0] for table in ("doctor_schedules", "schedule_exceptions", "appointments"))
        # None through the engine, where a unit of work's ORM session would run them.
        assert through_the_engine == []
    assert len(slots) == 31 * 12 and sum(slot.status == "busy" for slot in slots) == 10


async def test_the_busy_intervals_are_read_through_the_index_by_end_on_postgresql(sql_container, database_url):
    """PostgreSQL can answer the busy intervals from the btree on (doctor_id, ends_at, starts_at) in
    its order, index only, with no sort, as it does on the bench's data instead of the exclusion
    constraint's GiST index (a third more work per listing). PostgreSQL picks plans by table size,
    and a test's table is tiny: scans that a big table would make dear are switched off."""
    if database_url.startswith("sqlite"):
        pytest.skip("test_overlap_plans.py checks SQLite's plan")
    place = await clinic(sql_container)
    monday = next_monday_at(9)
    for day in range(0, 28, 3):
        await sql_container.book_slot()(place.patient, SlotBooking(
            doctor=place.doctor.doctor_id, start=monday + timedelta(days=day), appointment_type="Online"))
    since, until = utc_span(monday.date(), monday.date() + timedelta(days=30))
    engine = sql_container.engine()
    sql, values = _ALL_THREE.bind(engine.dialect, {
        "doctor_id": place.doctor.doctor_id, "first": monday.date(), "last": monday.date() + timedelta(days=30),
        "since": since, "until": until, "ends_by": until + LONGEST_APPOINTMENT})
    async with engine.connect() as connection:
        for kind in ("seqscan", "bitmapscan", "sort"):
            await connection.exec_driver_sql(f"SET enable_{kind} = off")
        await connection.exec_driver_sql("ANALYZE appointments")
        plan = " | ".join(str(row[0]) for row in await connection.exec_driver_sql(f"EXPLAIN {sql}", tuple(values)))
    assert "Index Only Scan using ix_appointments_doctor_id_ends_at on appointments" in plan, plan
    # Bounded on both sides by end: the scan stops at the span's end plus the longest appointment.
    assert "(ends_at > " in plan and "(ends_at <= " in plan, plan
