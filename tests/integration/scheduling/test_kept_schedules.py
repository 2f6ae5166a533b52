"""A booking checks its slot against the doctor's schedule as the use case last read it, kept per
doctor, and its INSERT stores the appointment only if the schedule is still at that version
(migration 0011's counter on SQL, moved by triggers; the in-memory store compares the sources
themselves). So a warm booking reads nothing before its INSERT, and a kept copy that went stale can
neither book a slot the doctor no longer offers nor refuse one the doctor now offers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hospital.application.available_times import AvailableTimeChanges
from hospital.application.dated_appointments import SlotBooking
from hospital.application.doctor_schedules import ScheduleExceptionCommand, ScheduleSettings
from hospital.application.doctors import DoctorChanges
from hospital.domain.errors import ClashError, ValidationError
from tests.support.scheduling import Clinic, clinic, windowed_times
from tests.support.sql_statements import counted_statements, engines_of


def at(hour: int, minute: int = 0, day: int = 4) -> datetime:
    return datetime(2027, 1, day, hour, minute, tzinfo=UTC)


async def book(container, place: Clinic, start: datetime, *, by=None):
    return await container.book_slot()(by or place.patient, SlotBooking(
        doctor=place.doctor.doctor_id, start=start, appointment_type="Online"))


async def version(container, doctor_id: int) -> object:
    async with container.unit_of_work() as uow:
        sources = await uow.slot_sources.bookable(doctor_id, since=date(2027, 1, 1))
    assert sources is not None
    return sources.version


async def test_every_change_to_what_slots_are_made_from_moves_the_doctors_version(any_container, place):
    doctor = place.doctor.doctor_id
    (extra,) = await windowed_times(any_container, "18:00-19:00")
    rules = [(0, place.morning)]

    async def set_schedule():
        rules.append((1, place.afternoon))
        await any_container.set_schedule()(place.admin, doctor, ScheduleSettings(
            timezone="UTC", slot_minutes=30, horizon_days=730, rules=list(rules)))

    async def add_exception():
        await any_container.add_schedule_exception()(place.admin, doctor, ScheduleExceptionCommand(
            date="2027-01-05", windows=[{"start": "10:00", "end": "11:00"}]))

    async def delete_exception():
        (exception,) = await any_container.list_schedule_exceptions()(place.admin, doctor)
        await any_container.delete_schedule_exception()(place.admin, doctor, exception.id)

    async def offer_another_time():
        await any_container.update_doctor()(place.admin, doctor, DoctorChanges(
            available_time=(place.morning, place.afternoon, extra)), partial=True)

    async def move_a_window():
        await any_container.update_available_time()(place.admin, extra, AvailableTimeChanges(
            start="18:30", end="19:30"), partial=True)

    async def delete_an_offered_time():
        await any_container.delete_available_time()(place.admin, extra)

    changes = (set_schedule, add_exception, delete_exception, offer_another_time, move_a_window,
               delete_an_offered_time)
    before = await version(any_container, doctor)
    other_before = await version(any_container, place.other_doctor.doctor_id)
    for change in changes:
        await change()
        after = await version(any_container, doctor)
        assert after != before, change.__name__
        before = after
    # Another doctor's slots were not touched, so neither was their version.
    assert await version(any_container, place.other_doctor.doctor_id) == other_before


async def test_an_available_time_saved_with_its_window_unchanged_leaves_its_doctors_versions(any_container, place):
    # Saved by difference (entity_table.py): a window not changed is not written, so the trigger on
    # the window's columns does not move the version of every doctor offering the time.
    doctor = place.doctor.doctor_id
    (extra,) = await windowed_times(any_container, "18:00-19:00")
    await any_container.update_doctor()(place.admin, doctor, DoctorChanges(
        available_time=(place.morning, place.afternoon, extra)), partial=True)
    before = await version(any_container, doctor)
    await any_container.update_available_time()(place.admin, extra, AvailableTimeChanges(time="18:00-19:00"))
    await any_container.update_available_time()(place.admin, extra, AvailableTimeChanges(
        start="18:00", end="19:00"), partial=True)
    assert await version(any_container, doctor) == before
    await any_container.update_available_time()(place.admin, extra, AvailableTimeChanges(
        start="18:00", end="19:30"), partial=True)
    assert await version(any_container, doctor) != before


async def test_a_kept_schedule_that_went_stale_books_nothing_the_doctor_no_longer_offers(any_container, place):
    await book(any_container, place, at(9))  # the doctor's schedule is now kept
    await any_container.add_schedule_exception()(place.admin, place.doctor.doctor_id, ScheduleExceptionCommand(
        date="2027-01-04", windows=[]))  # a day off
    with pytest.raises(ValidationError) as refused:
        await book(any_container, place, at(10))
    assert list(refused.value.errors) == ["start"]
    # The day after is as it was.
    assert (await book(any_container, place, at(10, day=5))).start == at(10, day=5)


async def test_a_kept_schedule_that_went_stale_refuses_nothing_the_doctor_now_offers(any_container, place):
    await book(any_container, place, at(9))
    await any_container.add_schedule_exception()(place.admin, place.doctor.doctor_id, ScheduleExceptionCommand(
        date="2027-01-05", windows=[{"start": "19:00", "end": "20:00"}]))
    row = await book(any_container, place, at(19, day=5))
    assert (row.start, row.end, row.time) == (at(19, day=5), at(19, 30, day=5), None)


async def test_a_taken_slot_is_refused_by_the_store_as_it_inserts(any_container, place):
    await book(any_container, place, at(9))
    with pytest.raises(ClashError) as taken:
        await book(any_container, place, at(9), by=place.other_patient)
    assert list(taken.value.errors) == ["start"]


async def test_a_booking_with_the_schedule_kept_reads_nothing_before_its_insert(sql_container, clock):
    place = await clinic(sql_container)
    await book(sql_container, place, at(9))
    with counted_statements(*engines_of(sql_container)) as statements:
        await book(sql_container, place, at(10))
    # The first statement inserts the appointment (on PostgreSQL as the first CTE of the one statement
    # that also writes its event: adapters/sqlalchemy/booking_statement.py).
    first = statements[0].lstrip().upper()
    assert first.startswith(("INSERT INTO APPOINTMENTS", "WITH BOOKED AS \n(INSERT INTO APPOINTMENTS")), statements
    # The rest is the audit event (its patients in the same statement on PostgreSQL).
    assert all("audit_event" in statement for statement in statements[1:]), statements
