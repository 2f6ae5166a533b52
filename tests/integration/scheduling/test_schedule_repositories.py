"""ScheduleRepository, SlotSourceQueries (on the read side and in a unit of work) and the no-overlap rule
of stored appointments: one contract, every adapter (any_container: memory, SQLite, PostgreSQL), built
as production builds them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta

import pytest

from hospital.application.ports.schedules import SlotSourceQueries
from hospital.domain.appointments import Appointment
from hospital.domain.doctor_schedules import (
    DoctorSchedule,
    DuplicateExceptionError,
    ScheduleException,
    WeeklyRule,
)
from hospital.domain.errors import ClashError
from hospital.domain.slots import BusyInterval
from hospital.domain.time_windows import LocalWindow
from tests.support.clinic import register_doctor
from tests.support.scheduling import Clinic, clinic, next_monday_at, windowed_times


@pytest.fixture
async def place(any_container) -> Clinic:
    return await clinic(any_container, timezone="America/New_York")


@asynccontextmanager
async def slot_sources_of(container, where: str) -> AsyncIterator[SlotSourceQueries]:
    """The read side's slot sources (what the read use cases use), or a unit of work's (commands)."""
    if where == "read side":
        yield container.read_side().schedules
        return
    async with container.unit_of_work() as uow:
        yield uow.slot_sources


WHERE = pytest.mark.parametrize("where", ["read side", "unit of work"])


async def test_a_saved_schedule_is_read_back_and_a_new_one_replaces_it(any_container, place):
    doctor_id = place.doctor.doctor_id
    async with any_container.unit_of_work() as uow:
        schedule = await uow.schedules.get(doctor_id)
    assert (schedule.timezone, schedule.slot_minutes, schedule.horizon_days, len(schedule.rules)) == (
        "America/New_York", 30, 730, 14)
    replacement = DoctorSchedule(doctor_id=doctor_id, timezone="Europe/London", slot_minutes=15,
                                 min_notice_minutes=60, horizon_days=30, rules=(WeeklyRule(2, place.afternoon),))
    async with any_container.unit_of_work() as uow:
        await uow.schedules.save(replacement)
        await uow.commit()
    async with any_container.unit_of_work() as uow:
        got = await uow.schedules.get(doctor_id)
        assert await uow.schedules.get(place.other_doctor.doctor_id) is not None
        assert await uow.schedules.get(987654) is None
    assert (got.timezone, got.slot_minutes, got.min_notice_minutes, got.horizon_days, got.rules) == (
        "Europe/London", 15, 60, 30, (WeeklyRule(2, place.afternoon),))


@WHERE
async def test_slot_sources_are_the_schedule_the_windows_the_exceptions_and_the_busy_intervals(any_container, place,
                                                                                              where):
    doctor_id = place.doctor.doctor_id
    monday = next_monday_at(14)
    exception = ScheduleException.create(doctor_id, monday.date(), [LocalWindow(time(13), time(16))])
    booked = Appointment.book_dated(place.patient.patient_id, doctor_id, start=monday,
                                    end=monday + timedelta(minutes=30), time_id=None, appointment_type="Online",
                                    symptoms="")
    async with any_container.unit_of_work() as uow:
        await uow.schedules.add_exception(exception)
        await uow.appointments.add(booked)
        await uow.commit()
    async with slot_sources_of(any_container, where) as reads:
        sources = await reads.slot_sources(
            doctor_id, monday.date() - timedelta(days=1), monday.date() + timedelta(days=1),
            since=monday - timedelta(days=1), until=monday + timedelta(days=1))
        assert await reads.slot_sources(987654, date(2027, 1, 1), date(2027, 1, 2), since=monday,
                                        until=monday) is None
        outside = await reads.slot_sources(
            doctor_id, monday.date() + timedelta(days=3), monday.date() + timedelta(days=4),
            since=monday + timedelta(days=3), until=monday + timedelta(days=4))
    assert sources.schedule.timezone == "America/New_York"
    assert sources.windows == {place.morning: LocalWindow(time(9), time(12)),
                               place.afternoon: LocalWindow(time(14), time(17))}
    assert [(e.id, e.date, e.windows) for e in sources.exceptions] == [
        (exception.id, monday.date(), (LocalWindow(time(13), time(16)),))]
    assert sources.busy == [BusyInterval(monday, monday + timedelta(minutes=30))]
    assert (outside.exceptions, outside.busy) == ([], [])


@WHERE
async def test_a_doctor_without_a_schedule_has_sources_without_one(any_container, place, where):
    (time_id,) = await windowed_times(any_container, "10:00-11:00")
    doctor = await register_doctor(any_container, [time_id])
    async with slot_sources_of(any_container, where) as reads:
        assert (await reads.schedule(doctor.doctor_id)).schedule is None
        assert await reads.schedule(987654) is None
        sources = await reads.slot_sources(
            doctor.doctor_id, date(2027, 1, 1), date(2027, 1, 2),
            since=datetime(2027, 1, 1, tzinfo=UTC), until=datetime(2027, 1, 3, tzinfo=UTC))
    assert (sources.schedule, sources.windows) == (None, {time_id: LocalWindow(time(10), time(11))})


async def test_one_exception_per_date_and_deleting_one(any_container, place):
    doctor_id = place.doctor.doctor_id
    on = date(2027, 1, 4)
    first = ScheduleException.create(doctor_id, on, [])
    async with any_container.unit_of_work() as uow:
        await uow.schedules.add_exception(first)
        await uow.commit()
    with pytest.raises(DuplicateExceptionError):
        async with any_container.unit_of_work() as uow:
            await uow.schedules.add_exception(ScheduleException.create(doctor_id, on, []))
            await uow.commit()
    async with any_container.unit_of_work() as uow:
        # Another doctor's exception is not found by this doctor's id.
        assert await uow.schedules.get_exception(place.other_doctor.doctor_id, first.id) is None
        got = await uow.schedules.get_exception(doctor_id, first.id)
        assert (got.date, got.windows) == (on, ())
        await uow.schedules.delete_exception(got)
        await uow.commit()
    for where in ("read side", "unit of work"):
        async with slot_sources_of(any_container, where) as reads:
            assert await reads.exceptions(doctor_id) == []
            assert await reads.exceptions(987654) is None


async def test_the_read_side_sees_committed_changes_only(any_container, place):
    """A unit of work's booking and exception are not in the read side's sources until it commits."""
    doctor_id = place.doctor.doctor_id
    monday = next_monday_at(14)
    span = {"since": monday - timedelta(days=1), "until": monday + timedelta(days=1)}
    reads = any_container.read_side().schedules
    before = await reads.slot_sources(doctor_id, monday.date(), monday.date(), **span)
    async with any_container.unit_of_work() as uow:
        await uow.schedules.add_exception(ScheduleException.create(doctor_id, monday.date(), []))
        await uow.appointments.add(dated(place.patient.patient_id, doctor_id, monday))
        during = await reads.slot_sources(doctor_id, monday.date(), monday.date(), **span)
        assert (during.exceptions, during.busy) == ([], [])
        assert await reads.exceptions(doctor_id) == []
        await uow.commit()
    after = await reads.slot_sources(doctor_id, monday.date(), monday.date(), **span)
    assert after is not before
    assert ([e.date for e in after.exceptions], after.busy) == (
        [monday.date()], [BusyInterval(monday, monday + timedelta(minutes=30))])


# --- no two occupying appointments of a doctor or of a patient overlap -------------------------------

def dated(patient_id: int, doctor_id: int, start: datetime, minutes: int = 30) -> Appointment:
    return Appointment.book_dated(patient_id, doctor_id, start=start, end=start + timedelta(minutes=minutes),
                                  time_id=None, appointment_type="Online", symptoms="")


async def store(container, *appointments: Appointment) -> None:
    async with container.unit_of_work() as uow:
        for appointment in appointments:
            await uow.appointments.add(appointment)
        await uow.commit()


@pytest.mark.parametrize("offset", [0, 10, -10, 29, -29])
async def test_a_doctors_overlapping_booking_is_refused_by_the_store(any_container, place, offset):
    start = next_monday_at(9)
    await store(any_container, dated(place.patient.patient_id, place.doctor.doctor_id, start))
    with pytest.raises(ClashError) as refused:
        await store(any_container, dated(place.other_patient.patient_id, place.doctor.doctor_id,
                                         start + timedelta(minutes=offset)))
    assert list(refused.value.errors) == ["start"]


async def test_a_patients_overlapping_booking_with_another_doctor_is_refused(any_container, place):
    start = next_monday_at(9)
    await store(any_container, dated(place.patient.patient_id, place.doctor.doctor_id, start))
    with pytest.raises(ClashError):
        await store(any_container, dated(place.patient.patient_id, place.other_doctor.doctor_id,
                                         start + timedelta(minutes=15)))


async def test_adjacent_slots_and_undated_or_released_appointments_do_not_clash(any_container, place):
    start = next_monday_at(9)
    first = dated(place.patient.patient_id, place.doctor.doctor_id, start)
    await store(any_container, first, dated(place.other_patient.patient_id, place.doctor.doctor_id,
                                            start + timedelta(minutes=30)))
    async with any_container.unit_of_work() as uow:
        appointment = await uow.appointments.get(first.id)
        appointment.cancel(place.patient, at=start - timedelta(days=1))
        await uow.appointments.save(appointment)
        await uow.commit()
    # The cancelled one's slot is free at once.
    await store(any_container, dated(place.other_patient.patient_id, place.doctor.doctor_id,
                                     start - timedelta(minutes=15), minutes=45))


async def test_a_cancelled_appointment_may_not_come_back_into_a_taken_slot(any_container, place):
    start = next_monday_at(10)
    first = dated(place.patient.patient_id, place.doctor.doctor_id, start)
    await store(any_container, first)
    async with any_container.unit_of_work() as uow:
        appointment = await uow.appointments.get(first.id)
        appointment.cancel(place.patient, at=start - timedelta(days=1))
        await uow.appointments.save(appointment)
        await uow.commit()
    await store(any_container, dated(place.other_patient.patient_id, place.doctor.doctor_id, start))
    # Forcing the first back to booked (no use case does) is refused by the store itself.
    with pytest.raises(ClashError):
        async with any_container.unit_of_work() as uow:
            appointment = await uow.appointments.get(first.id)
            appointment.fhir_status = type(appointment.fhir_status)("booked")
            await uow.appointments.save(appointment)
            await uow.commit()


async def test_dated_fields_round_trip(any_container, place):
    start = next_monday_at(11, 30)
    appointment = dated(place.patient.patient_id, place.doctor.doctor_id, start)
    appointment.time_id = place.morning
    await store(any_container, appointment)
    async with any_container.unit_of_work() as uow:
        got = await uow.appointments.get(appointment.id)
    assert (got.starts_at, got.ends_at, got.fhir_status, got.time_id) == (
        start, start + timedelta(minutes=30), "booked", place.morning)
    assert got.starts_at.tzinfo is not None


@WHERE
async def test_busy_intervals_are_those_overlapping_since_until_exactly(any_container, place, where):
    """[since, until): an appointment ending at ``since`` or starting at ``until`` is outside, one a
    microsecond over either edge inside (the instants are bound as the column stores them)."""
    doctor_id = place.doctor.doctor_id
    since = next_monday_at(9)
    until = since + timedelta(hours=3)
    before = dated(place.patient.patient_id, doctor_id, since - timedelta(minutes=30))
    after = dated(place.patient.patient_id, doctor_id, until)
    await store(any_container, before, after)
    async with slot_sources_of(any_container, where) as reads:
        edges = await reads.slot_sources(doctor_id, since.date(), since.date(), since=since, until=until)
        tick = timedelta(microseconds=1)
        over = await reads.slot_sources(doctor_id, since.date(), since.date(), since=since - tick, until=until + tick)
    assert edges.busy == []
    assert over.busy == [BusyInterval(before.starts_at, before.ends_at), BusyInterval(after.starts_at, after.ends_at)]
