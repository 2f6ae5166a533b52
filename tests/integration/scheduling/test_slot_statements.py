"""Listing slots costs three queries whatever the range and the bookings (the schedule with its
windows, the date exceptions, the busy intervals), all on the read side's connections: no statement
per day or per slot, and no ORM session or unit of work for a pure read. Both databases run them as
one statement answering one value per query (PostgreSQL: arrays and bytes; SQLite: texts)."""

from __future__ import annotations

from datetime import timedelta

from hospital.application.actor import ANONYMOUS
from hospital.application.dated_appointments import SlotBooking
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
