"""The dated-scheduling use cases as a Python caller uses them (no HTTP), on every store (any_container),
with a clock the tests move: schedules, exceptions, slots (DST days in New York), booking a slot,
moving the status, cancelling and rescheduling, and who may do each."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from hospital.application.actor import ANONYMOUS
from hospital.application.dated_appointments import CancelCommand, SlotBooking
from hospital.application.doctor_schedules import ScheduleExceptionCommand, ScheduleSettings
from hospital.application.errors import AuthenticationError
from hospital.domain.errors import ClashError, NotFoundError, PermissionDeniedError, ValidationError
from hospital.domain.slots import SLOT_TAKEN
from tests.support.clinic import register_doctor
from tests.support.scheduling import MONDAY, NOW, Clinic, windowed_times


def at(hour: int, minute: int = 0, day: datetime = MONDAY) -> datetime:
    return day.replace(hour=hour, minute=minute)


async def book(container, place: Clinic, start: datetime, *, by=None, doctor=None, time=None):
    return await container.book_slot()(by or place.patient, SlotBooking(
        doctor=doctor or place.doctor.doctor_id, start=start, appointment_type="Online", symptoms="cough", time=time))


# --- schedules ---------------------------------------------------------------------------------------

async def test_the_doctor_or_an_admin_sets_the_schedule(any_container, place):
    settings = ScheduleSettings(timezone="America/New_York", slot_minutes=20, min_notice_minutes=60, horizon_days=30,
                                rules=[(0, place.morning), (4, place.afternoon)])
    for actor in (place.doctor, place.admin):
        view = await any_container.set_schedule()(actor, place.doctor.doctor_id, settings)
        assert (view.timezone, view.slot_minutes, [(r.weekday, r.time) for r in view.rules]) == (
            "America/New_York", 20, [(0, place.morning), (4, place.afternoon)])
    got = await any_container.get_schedule()(ANONYMOUS, place.doctor.doctor_id)
    assert (got.min_notice_minutes, got.horizon_days) == (60, 30)


async def test_who_may_not_set_a_schedule(any_container, place):
    settings = ScheduleSettings(rules=[(0, place.morning)])
    with pytest.raises(AuthenticationError):
        await any_container.set_schedule()(ANONYMOUS, place.doctor.doctor_id, settings)
    for actor in (place.other_doctor, place.patient):
        with pytest.raises(PermissionDeniedError):
            await any_container.set_schedule()(actor, place.doctor.doctor_id, settings)
    with pytest.raises(NotFoundError):
        await any_container.set_schedule()(place.admin, 987654, settings)


async def test_a_schedule_is_checked_field_by_field(any_container, place):
    with pytest.raises(ValidationError) as error:
        await any_container.set_schedule()(place.doctor, place.doctor.doctor_id, ScheduleSettings(
            timezone="Nowhere/Land", slot_minutes=2, rules=[(0, place.other_morning)]))
    assert set(error.value.errors) == {"timezone", "slot_minutes", "rules"}


async def test_a_doctor_without_a_schedule_has_the_defaults(any_container, place):
    (time_id,) = await windowed_times(any_container, "10:00-11:00")
    doctor = await register_doctor(any_container, [time_id])
    view = await any_container.get_schedule()(ANONYMOUS, doctor.doctor_id)
    assert (view.timezone, view.slot_minutes, view.min_notice_minutes, view.horizon_days, view.rules) == (
        "UTC", 30, 0, 90, [])
    assert await any_container.list_slots()(ANONYMOUS, doctor.doctor_id, "2027-01-04", "2027-01-10") == []
    with pytest.raises(NotFoundError):
        await any_container.get_schedule()(ANONYMOUS, 987654)


# --- exceptions ----------------------------------------------------------------------------------------

async def test_exceptions_replace_a_dates_rules(any_container, place):
    doctor_id = place.doctor.doctor_id
    added = await any_container.add_schedule_exception()(place.doctor, doctor_id, ScheduleExceptionCommand(
        date="2027-01-04", windows=[{"start": "13:00", "end": "14:00"}]))
    await any_container.add_schedule_exception()(place.admin, doctor_id,
                                                 ScheduleExceptionCommand(date="2027-01-05", windows=[]))
    listed = await any_container.list_schedule_exceptions()(ANONYMOUS, doctor_id)
    assert [(e.date, [(w.start, w.end) for w in e.windows]) for e in listed] == [
        (date(2027, 1, 4), [("13:00", "14:00")]), (date(2027, 1, 5), [])]
    slots = await any_container.list_slots()(ANONYMOUS, doctor_id, "2027-01-04", "2027-01-05")
    assert [(s.start, s.time) for s in slots] == [(at(13), None), (at(13, 30), None)]
    with pytest.raises(ValidationError) as error:
        await any_container.add_schedule_exception()(place.doctor, doctor_id,
                                                     ScheduleExceptionCommand(date="2027-01-04", windows=[]))
    assert list(error.value.errors) == ["date"]
    with pytest.raises(PermissionDeniedError):
        await any_container.delete_schedule_exception()(place.other_doctor, doctor_id, added.id)
    await any_container.delete_schedule_exception()(place.doctor, doctor_id, added.id)
    with pytest.raises(NotFoundError):
        await any_container.delete_schedule_exception()(place.doctor, doctor_id, added.id)
    assert len(await any_container.list_slots()(ANONYMOUS, doctor_id, "2027-01-04", "2027-01-04")) == 12


@pytest.mark.parametrize(("on", "windows", "field"), [
    ("2027-13-01", [], "date"), ("04/01/2027", [], "date"), ("2027-01-04", [{"start": "14:00", "end": "13:00"}],
                                                             "windows"),
    ("2027-01-04", [{"start": "9", "end": "10:00"}], "windows"), ("2027-01-04", "all day", "windows"),
    ("2027-01-04", [{"start": "09:00", "end": "11:00"}, {"start": "10:00", "end": "12:00"}], "windows"),
])
async def test_a_bad_exception_is_a_400_naming_the_field(any_container, place, on, windows, field):
    with pytest.raises(ValidationError) as error:
        await any_container.add_schedule_exception()(place.doctor, place.doctor.doctor_id,
                                                     ScheduleExceptionCommand(date=on, windows=windows))
    assert list(error.value.errors) == [field]


# --- slots ---------------------------------------------------------------------------------------------

async def test_slots_of_a_day_free_and_busy_without_patient_data(any_container, place):
    await book(any_container, place, at(9, 30))
    slots = await any_container.list_slots()(ANONYMOUS, place.doctor.doctor_id, "2027-01-04", "2027-01-04")
    assert len(slots) == 12  # 09:00-12:00 and 14:00-17:00 by 30 minutes
    assert [(s.start, s.status) for s in slots[:3]] == [(at(9), "free"), (at(9, 30), "busy"), (at(10), "free")]
    assert slots[0].end == at(9, 30) and slots[0].time == place.morning and slots[-1].time == place.afternoon
    assert set(type(slots[0]).__slots__) == {"start", "end", "status", "time"}  # no patient data


@pytest.mark.parametrize(("first", "last", "field"), [
    (None, "2027-01-04", "from"), ("2027-01-04", None, "to"), ("x", "2027-01-04", "from"),
    ("2027-01-05", "2027-01-04", "to"), ("2027-01-01", "2027-02-01", "to"),
])
async def test_a_bad_range_is_a_400(any_container, place, first, last, field):
    with pytest.raises(ValidationError) as error:
        await any_container.list_slots()(ANONYMOUS, place.doctor.doctor_id, first, last)
    assert field in error.value.errors


async def test_31_days_is_the_longest_range_and_an_unknown_doctor_is_404(any_container, place):
    slots = await any_container.list_slots()(ANONYMOUS, place.doctor.doctor_id, "2027-01-01", "2027-01-31")
    assert len(slots) == 12 * 31 - 6  # Friday 1 January's morning is before noon, now
    with pytest.raises(NotFoundError):
        await any_container.list_slots()(ANONYMOUS, 987654, "2027-01-01", "2027-01-02")


@pytest.mark.parametrize(("day", "count"), [("2027-03-14", 3), ("2027-11-07", 5), ("2027-11-08", 4)])
async def test_new_york_dst_days_have_elapsed_time_slots(any_container, place, day, count):
    (night,) = await windowed_times(any_container, "00:00-04:00")
    doctor = await register_doctor(any_container, [night])
    await any_container.set_schedule()(doctor, doctor.doctor_id, ScheduleSettings(
        timezone="America/New_York", slot_minutes=60, horizon_days=730, rules=[(d, night) for d in range(7)]))
    slots = await any_container.list_slots()(ANONYMOUS, doctor.doctor_id, day, day)
    assert len(slots) == count
    assert all(s.end - s.start == timedelta(hours=1) for s in slots)


async def test_a_listing_is_answered_again_only_while_nothing_it_comes_from_changed(any_container, place, clock):
    """ListSlots reuses its last expansion while the read side answers the same sources and the clock
    has not passed the first slot: every committed change and every move of the clock shows."""
    list_slots = any_container.list_slots()
    doctor_id = place.doctor.doctor_id

    async def monday():
        return [(s.start, s.status) for s in await list_slots(ANONYMOUS, doctor_id, "2027-01-04", "2027-01-04")]

    before = await monday()
    assert await monday() == before and ("busy" not in {status for _, status in before})
    row = await book(any_container, place, at(9, 30))
    assert (at(9, 30), "busy") in await monday()
    await any_container.cancel_appointment()(place.patient, row.id)
    assert await monday() == before
    await any_container.add_schedule_exception()(place.doctor, doctor_id, ScheduleExceptionCommand(
        date="2027-01-04", windows=[{"start": "09:00", "end": "10:00"}]))
    assert await monday() == [(at(9), "free"), (at(9, 30), "free")]
    clock.set(at(9, 10))  # 09:00 has begun: only 09:30 is left
    assert await monday() == [(at(9, 30), "free")]
    clock.set(at(9, 31))
    assert await monday() == []


async def test_an_unchanged_listing_is_the_same_object_on_the_sql_read_side(any_container, place):
    listing = any_container.list_slots().listing
    first = await listing(ANONYMOUS, place.doctor.doctor_id, "2027-01-04", "2027-01-10")
    again = await listing(ANONYMOUS, place.doctor.doctor_id, "2027-01-04", "2027-01-10")
    assert again.slots == first.slots
    if any_container.read_side.overridden:  # the in-memory read side answers new sources each time
        return
    assert again is first
    await book(any_container, place, at(10))
    changed = await listing(ANONYMOUS, place.doctor.doctor_id, "2027-01-04", "2027-01-10")
    assert changed is not first and [s for s in changed.slots if s.status == "busy"] == [
        s for s in changed.slots if s.start == at(10)]


# --- booking a slot --------------------------------------------------------------------------------------

async def test_booking_a_free_slot(any_container, place):
    row = await book(any_container, place, at(10), time=place.morning)
    assert (row.start, row.end, row.status, row.appointment_status, row.time, row.cancel) == (
        at(10), at(10, 30), "booked", "Pendding", place.morning, False)


async def test_a_taken_slot_or_a_busy_patient_is_a_409(any_container, place):
    await book(any_container, place, at(10))
    with pytest.raises(ClashError):
        await book(any_container, place, at(10), by=place.other_patient)
    with pytest.raises(ClashError):
        await book(any_container, place, at(10), doctor=place.other_doctor.doctor_id)


@pytest.mark.parametrize("timezone", ["Pacific/Kiritimati", "Etc/GMT+12", "Asia/Kolkata"])
async def test_every_listed_slot_is_bookable_at_the_ends_of_the_day_in_the_farthest_zones(
        any_container, place, timezone):
    # The booking reads its sources before it knows the zone (the exceptions of the dates around the
    # start's UTC date): the weekly rules' day and an exception's day, each at both its ends.
    times = await windowed_times(any_container, "00:00-01:00", "22:30-23:59")
    doctor = await register_doctor(any_container, times)
    await any_container.set_schedule()(doctor, doctor.doctor_id, ScheduleSettings(
        timezone=timezone, slot_minutes=30, horizon_days=730, rules=[(d, t) for d in range(7) for t in times]))
    await any_container.add_schedule_exception()(doctor, doctor.doctor_id, ScheduleExceptionCommand(
        date="2027-01-06", windows=[{"start": "01:00", "end": "01:30"}, {"start": "21:00", "end": "21:30"}]))
    listed = await any_container.list_slots()(ANONYMOUS, doctor.doctor_id, "2027-01-05", "2027-01-06")
    assert len(listed) == 6
    for slot in listed:
        row = await book(any_container, place, slot.start, doctor=doctor.doctor_id)
        assert (row.start, row.end) == (slot.start, slot.end)
    with pytest.raises(ClashError):
        await book(any_container, place, listed[-1].start, by=place.other_patient, doctor=doctor.doctor_id)
    assert {s.status for s in await any_container.list_slots()(
        ANONYMOUS, doctor.doctor_id, "2027-01-05", "2027-01-06")} == {"busy"}


async def test_the_longest_slot_is_taken_by_a_booking_near_its_end(any_container, place):
    # Booked in 30-minute slots, then the schedule moved to one slot of 8 hours: 15:30 holds it.
    (day,) = await windowed_times(any_container, "08:00-16:00")
    doctor = await register_doctor(any_container, [day])
    settings = {"timezone": "UTC", "horizon_days": 730, "rules": [(d, day) for d in range(7)]}
    await any_container.set_schedule()(doctor, doctor.doctor_id, ScheduleSettings(slot_minutes=30, **settings))
    await book(any_container, place, at(15, 30), doctor=doctor.doctor_id)
    await any_container.set_schedule()(doctor, doctor.doctor_id, ScheduleSettings(slot_minutes=480, **settings))
    with pytest.raises(ClashError) as error:
        await book(any_container, place, at(8), by=place.other_patient, doctor=doctor.doctor_id)
    assert error.value.errors == {"start": [SLOT_TAKEN]}


@pytest.mark.parametrize("start", [at(10, 10), at(12), at(8, 30), datetime(2027, 1, 4, 10)])
async def test_a_start_off_the_grid_outside_the_windows_or_naive_is_a_400(any_container, place, start):
    with pytest.raises(ValidationError) as error:
        await book(any_container, place, start)
    assert list(error.value.errors) == ["start"]


async def test_notice_horizon_and_the_slots_time(any_container, place, clock):
    with pytest.raises(ValidationError):
        await book(any_container, place, at(9, day=NOW))  # already past
    with pytest.raises(ValidationError):
        await book(any_container, place, at(9, day=NOW + timedelta(days=800)))
    with pytest.raises(ValidationError) as error:
        await book(any_container, place, at(10), time=place.afternoon)
    assert list(error.value.errors) == ["time"]


# --- status, cancel, reschedule --------------------------------------------------------------------------

async def test_status_moves_by_the_doctor_and_who_may_not(any_container, place, clock):
    row = await book(any_container, place, at(10))
    move = any_container.move_appointment_status()
    with pytest.raises(PermissionDeniedError):
        await move(place.patient, row.id, "arrived")
    with pytest.raises(NotFoundError):
        await move(place.other_doctor, row.id, "arrived")
    with pytest.raises(ValidationError):
        await move(place.doctor, row.id, "noshow")  # not yet started
    with pytest.raises(ValidationError):
        await move(place.doctor, row.id, "fulfilled")
    assert (await move(place.doctor, row.id, "arrived")).status == "arrived"
    clock.set(at(10, 1))
    moved = await move(place.admin, row.id, "noshow")
    assert (moved.status, moved.appointment_status, moved.cancel) == ("noshow", "Pendding", False)
    slots = await any_container.list_slots()(ANONYMOUS, place.doctor.doctor_id, "2027-01-04", "2027-01-04")
    assert all(s.status == "free" for s in slots)


async def test_cancel_frees_the_slot_at_once(any_container, place):
    row = await book(any_container, place, at(10))
    cancelled = await any_container.cancel_appointment()(place.patient, row.id,
                                                         CancelCommand(reason="pat-mv", note="moving"))
    assert (cancelled.status, cancelled.cancel, cancelled.cancellation_reason, cancelled.cancelled_by,
            cancelled.cancelled_at) == ("cancelled", True, "pat-mv", place.patient.user_id, NOW)
    await book(any_container, place, at(10), by=place.other_patient)
    with pytest.raises(ValidationError):
        await any_container.cancel_appointment()(place.doctor, row.id)
    with pytest.raises(ValidationError) as error:
        await any_container.cancel_appointment()(place.doctor, (await book(any_container, place, at(11))).id,
                                                 CancelCommand(reason="bored"))
    assert list(error.value.errors) == ["reason"]


async def test_reschedule_makes_a_new_appointment_and_cancels_the_old(any_container, place):
    old = await book(any_container, place, at(10))
    new = await any_container.reschedule_appointment()(place.patient, old.id, at(14))
    assert (new.start, new.status, new.replaces, new.time) == (at(14), "booked", old.id, place.afternoon)
    got = await any_container.get_appointment()(place.patient, old.id)
    assert (got.status, got.cancel, got.replaced_by) == ("cancelled", True, new.id)


async def test_reschedule_into_an_overlap_with_itself_releases_the_old_first(any_container, place):
    old = await book(any_container, place, at(10))  # 10:00-10:30
    await any_container.set_schedule()(place.doctor, place.doctor.doctor_id, ScheduleSettings(
        slot_minutes=15, horizon_days=730, rules=[(0, place.morning)]))
    new = await any_container.reschedule_appointment()(place.doctor, old.id, at(10, 15))
    assert (new.start, new.end) == (at(10, 15), at(10, 30))


async def test_a_taken_or_invalid_target_leaves_the_old_appointment_untouched(any_container, place):
    old = await book(any_container, place, at(10))
    await book(any_container, place, at(11), by=place.other_patient)
    with pytest.raises(ClashError):
        await any_container.reschedule_appointment()(place.patient, old.id, at(11))
    with pytest.raises(ValidationError):
        await any_container.reschedule_appointment()(place.patient, old.id, at(11, 5))
    got = await any_container.get_appointment()(place.patient, old.id)
    assert (got.status, got.replaced_by, got.start) == ("booked", None, at(10))
    with pytest.raises(NotFoundError):
        await any_container.reschedule_appointment()(place.other_patient, old.id, at(14))


async def test_reschedule_dates_an_undated_appointment(any_container, place):
    from hospital.application.appointments import Booking

    legacy = await any_container.book_appointment()(place.patient, Booking(
        doctor=place.doctor.doctor_id, time=place.morning, appointment_type="Online"))
    assert (legacy.start, legacy.status) == (None, "proposed")
    new = await any_container.reschedule_appointment()(place.patient, legacy.id, at(9))
    assert (new.start, new.replaces) == (at(9), legacy.id)
