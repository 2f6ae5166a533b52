"""Slot expansion (domain/slots.py): worked DST days, then hypothesis properties over random weeks."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hospital.domain.doctor_schedules import DoctorSchedule, ScheduleException, WeeklyRule
from hospital.domain.slots import (
    BusyInterval,
    SlotStatus,
    expand_slots,
    free_slot_at,
    local_dates_around,
    unchanged_until,
    window_instants,
)
from hospital.domain.time_windows import LocalWindow
from tests.conftest import properties

# Before every date these tests look at, and within the default horizon of them.
LONG_AGO = datetime(2026, 12, 1, tzinfo=UTC)


def schedule(zone: str, minutes: int, rules: list[tuple[int, int]], *, notice: int = 0,
             horizon: int = 730) -> DoctorSchedule:
    return DoctorSchedule(doctor_id=1, timezone=zone, slot_minutes=minutes, min_notice_minutes=notice,
                          horizon_days=horizon, rules=tuple(WeeklyRule(day, time_id) for day, time_id in rules))


def every_day(time_id: int) -> list[tuple[int, int]]:
    return [(day, time_id) for day in range(7)]


@pytest.mark.parametrize(("zone", "on", "window", "minutes", "count"), [
    # New York springs forward at 02:00 on 2027-03-14: 00:00-04:00 is 3 hours of elapsed time.
    ("America/New_York", date(2027, 3, 14), (time(0), time(4)), 60, 3),
    # ... and falls back at 02:00 on 2027-11-07: 00:00-04:00 is 5 hours, 01:00-02:00 twice.
    ("America/New_York", date(2027, 11, 7), (time(0), time(4)), 60, 5),
    ("America/New_York", date(2027, 11, 8), (time(0), time(4)), 60, 4),
    ("Europe/London", date(2027, 3, 28), (time(0), time(3)), 30, 4),
    ("Europe/London", date(2027, 10, 31), (time(0), time(3)), 30, 8),
    # Lord Howe moves its clocks by 30 minutes: back at 02:00 on 2027-04-04, forward on 2027-10-03.
    ("Australia/Lord_Howe", date(2027, 4, 4), (time(1), time(3)), 30, 5),
    ("Australia/Lord_Howe", date(2027, 10, 3), (time(1), time(3)), 30, 3),
    ("Asia/Kolkata", date(2027, 3, 14), (time(9), time(17)), 15, 32),
])
def test_a_window_across_a_clock_change_is_cut_by_elapsed_time(zone, on, window, minutes, count):
    slots = expand_slots(schedule(zone, minutes, every_day(1)), {1: LocalWindow(*window)}, [], [], on, on, LONG_AGO)
    assert len(slots) == count
    assert all(slot.end - slot.start == timedelta(minutes=minutes) for slot in slots)
    assert all(b.start == a.end for a, b in itertools.pairwise(slots))


def test_new_york_fall_back_repeats_the_one_oclock_hour():
    slots = expand_slots(schedule("America/New_York", 60, every_day(1)), {1: LocalWindow(time(1), time(2))},
                         [], [], date(2027, 11, 7), date(2027, 11, 7), LONG_AGO)
    # 01:00 EDT and 01:00 EST, both until the second 02:00's moment before.
    assert [slot.start for slot in slots] == [datetime(2027, 11, 7, 5, tzinfo=UTC),
                                             datetime(2027, 11, 7, 6, tzinfo=UTC)]


def test_new_york_spring_forward_start_in_the_skipped_hour_counts_from_before_the_jump():
    start, end = window_instants(date(2027, 3, 14), LocalWindow(time(2, 30), time(4)), ZoneInfo("America/New_York"))
    assert (start, end) == (datetime(2027, 3, 14, 7, 30, tzinfo=UTC), datetime(2027, 3, 14, 8, tzinfo=UTC))


def test_a_slot_that_would_pass_the_window_end_is_dropped():
    slots = expand_slots(schedule("UTC", 45, every_day(1)), {1: LocalWindow(time(9), time(10))}, [], [],
                         date(2027, 1, 4), date(2027, 1, 4), LONG_AGO)
    assert [(slot.start.hour, slot.start.minute) for slot in slots] == [(9, 0)]


def test_rules_apply_on_their_weekday_only_and_name_their_time():
    rules = [(0, 1), (2, 2)]  # Monday 9-10, Wednesday 14-15
    windows = {1: LocalWindow(time(9), time(10)), 2: LocalWindow(time(14), time(15))}
    slots = expand_slots(schedule("UTC", 30, rules), windows, [], [], date(2027, 1, 4), date(2027, 1, 10), LONG_AGO)
    assert [(slot.start.day, slot.start.hour, slot.start.minute, slot.time) for slot in slots] == [
        (4, 9, 0, 1), (4, 9, 30, 1), (6, 14, 0, 2), (6, 14, 30, 2)]


def test_a_rule_whose_time_has_no_window_or_is_gone_yields_nothing():
    slots = expand_slots(schedule("UTC", 30, [(0, 1), (0, 2)]), {1: None}, [], [], date(2027, 1, 4),
                         date(2027, 1, 4), LONG_AGO)
    assert slots == []


def test_an_exception_replaces_the_dates_rules():
    exception = ScheduleException.create(1, date(2027, 1, 4), [LocalWindow(time(13), time(14))])
    day_off = ScheduleException.create(1, date(2027, 1, 5), [])
    slots = expand_slots(schedule("UTC", 30, every_day(1)), {1: LocalWindow(time(9), time(10))},
                         [exception, day_off], [], date(2027, 1, 4), date(2027, 1, 6), LONG_AGO)
    assert [(slot.start.day, slot.start.hour, slot.time) for slot in slots] == [
        (4, 13, None), (4, 13, None), (6, 9, 1), (6, 9, 1)]


def test_busy_slots_are_those_an_occupying_appointment_overlaps():
    busy = [BusyInterval(datetime(2027, 1, 4, 9, 10, tzinfo=UTC), datetime(2027, 1, 4, 9, 20, tzinfo=UTC))]
    slots = expand_slots(schedule("UTC", 15, every_day(1)), {1: LocalWindow(time(9), time(10))}, [], busy,
                         date(2027, 1, 4), date(2027, 1, 4), LONG_AGO)
    assert [slot.status for slot in slots] == [SlotStatus.BUSY, SlotStatus.BUSY, SlotStatus.FREE, SlotStatus.FREE]


def test_notice_and_horizon():
    now = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    plan = schedule("UTC", 30, every_day(1), notice=60, horizon=2)
    slots = expand_slots(plan, {1: LocalWindow(time(9), time(12))}, [], [], date(2027, 1, 3), date(2027, 1, 10), now)
    starts = [(slot.start.day, slot.start.hour, slot.start.minute) for slot in slots]
    assert starts[0] == (4, 10, 0)  # 09:00 and 09:30 are within the hour's notice
    assert max(day for day, _, _ in starts) == 6  # today + 2 days


def test_overlapping_windows_of_one_day_give_no_overlapping_slots():
    windows = {1: LocalWindow(time(9), time(10)), 2: LocalWindow(time(9, 15), time(11))}
    slots = expand_slots(schedule("UTC", 30, [(0, 1), (0, 2)]), windows, [], [], date(2027, 1, 4),
                         date(2027, 1, 4), LONG_AGO)
    assert [(slot.start.hour, slot.start.minute) for slot in slots] == [(9, 0), (9, 30), (10, 15)]


# --- properties --------------------------------------------------------------------------------------

ZONES = ["America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
# The first date of a range: around each zone's 2027 clock changes, and anywhere in the year.
AROUND_CHANGES = [date(2027, 3, 14), date(2027, 11, 7), date(2027, 3, 28), date(2027, 10, 31), date(2027, 4, 4),
                  date(2027, 10, 3)]
_minutes = st.integers(0, 24 * 60 - 5).map(lambda m: m - m % 5)


@st.composite
def local_windows(draw) -> LocalWindow:
    start = draw(st.integers(0, 23 * 60 + 50))
    end = draw(st.integers(start + 5, 24 * 60 - 1))
    return LocalWindow(time(start // 60, start % 60), time(end // 60, end % 60))


@st.composite
def scenarios(draw):
    zone = draw(st.sampled_from(ZONES))
    first = draw(st.one_of(st.sampled_from(AROUND_CHANGES), st.dates(date(2027, 1, 1), date(2027, 12, 31))))
    first -= timedelta(days=draw(st.integers(0, 2)))
    last = first + timedelta(days=draw(st.integers(0, 6)))
    windows = {time_id: draw(local_windows()) for time_id in range(1, draw(st.integers(1, 4)) + 1)}
    rules = draw(st.lists(st.tuples(st.integers(0, 6), st.sampled_from(sorted(windows))), max_size=10, unique=True))
    plan = schedule(zone, draw(st.sampled_from([5, 10, 15, 20, 30, 45, 60, 90, 480])), rules,
                    notice=draw(st.integers(0, 3000)), horizon=draw(st.integers(1, 20)))
    exception_dates = draw(st.lists(st.sampled_from([first + timedelta(days=n) for n in range(7)]), unique=True,
                                    max_size=3))
    exceptions = []
    for on in exception_dates:
        day = draw(st.lists(local_windows(), max_size=3))
        kept: list[LocalWindow] = []
        for window in sorted(day):
            if not kept or not kept[-1].overlaps(window):
                kept.append(window)
        exceptions.append(ScheduleException.create(1, on, kept))
    base = datetime.combine(first, time(), UTC)
    busy = [BusyInterval(base + timedelta(minutes=offset), base + timedelta(minutes=offset + length))
            for offset, length in draw(st.lists(st.tuples(st.integers(-1440, 9 * 1440), st.integers(5, 240)),
                                                max_size=8))]
    now = base + timedelta(minutes=draw(st.integers(-20 * 1440, 3 * 1440)))
    return plan, windows, exceptions, busy, first, last, now


def day_windows(plan, windows, exceptions, on):
    for exception in exceptions:
        if exception.date == on:
            return [(window, None) for window in exception.windows]
    return [(windows[time_id], time_id) for weekday, time_id in
            ((rule.weekday, rule.time_id) for rule in plan.rules) if weekday == on.weekday()]


@properties(max_examples=400, deadline=None)
@given(scenarios())
def test_slot_expansion_properties(scenario):
    plan, windows, exceptions, busy, first, last, now = scenario
    slots = expand_slots(plan, windows, exceptions, busy, first, last, now)
    zone = ZoneInfo(plan.timezone)
    length = timedelta(minutes=plan.slot_minutes)
    today = now.astimezone(zone).date()
    for before, after in itertools.pairwise(slots):
        assert before.end <= after.start, "slots overlap or are out of order"
    for slot in slots:
        assert slot.start.tzinfo is not None and slot.start.utcoffset() == timedelta(0)
        assert slot.end - slot.start == length, "a slot is not exactly its length of elapsed time"
        assert slot.start >= now + timedelta(minutes=plan.min_notice_minutes), "a slot within the notice"
        homes = []
        on = first
        while on <= last:
            for window, time_id in day_windows(plan, windows, exceptions, on):
                start, end = window_instants(on, window, zone)
                if start <= slot.start and slot.end <= end and (slot.start - start) % length == timedelta(0):
                    homes.append((on, time_id))
            on += timedelta(days=1)
        assert homes, "a slot lies in no window of its dates (or ignores an exception)"
        assert any(on <= today + timedelta(days=plan.horizon_days) and time_id == slot.time
                   for on, time_id in homes), "a slot beyond the horizon, or naming the wrong time"
        overlapped = any(interval.start < slot.end and slot.start < interval.end for interval in busy)
        assert (slot.status is SlotStatus.BUSY) == overlapped


@properties(max_examples=200, deadline=None)
@given(scenarios())
def test_every_slot_of_non_overlapping_windows_is_listed(scenario):
    plan, windows, exceptions, _busy, first, last, _now = scenario
    plan = schedule(plan.timezone, plan.slot_minutes, [(rule.weekday, rule.time_id) for rule in plan.rules])
    before = datetime.combine(first, time(), UTC) - timedelta(days=2)
    slots = expand_slots(plan, windows, exceptions, [], first, last, before)
    zone = ZoneInfo(plan.timezone)
    length = timedelta(minutes=plan.slot_minutes)
    expected = set()
    on = first
    intervals = []
    while on <= last:
        for window, time_id in day_windows(plan, windows, exceptions, on):
            start, end = window_instants(on, window, zone)
            intervals.append((start, end))
            while start + length <= end:
                expected.add((start, time_id))
                start += length
        on += timedelta(days=1)
    intervals.sort()
    if any(a[1] > b[0] for a, b in itertools.pairwise(intervals)):
        return  # overlapping windows: the earlier slot wins, checked above
    assert {(slot.start, slot.time) for slot in slots} == expected


@properties(max_examples=300, deadline=None)
@given(scenarios(), st.floats(0, 1))
def test_the_slots_stay_the_same_until_unchanged_until(scenario, fraction):
    plan, windows, exceptions, busy, first, last, now = scenario
    slots = expand_slots(plan, windows, exceptions, busy, first, last, now)
    until = unchanged_until(plan, slots, last, now)
    assert until >= now
    # Any later moment before it (capped at a year, to stay within the calendar) answers the same.
    span = min(until, now + timedelta(days=365)) - now
    later = now + span * fraction
    if later < until:
        assert expand_slots(plan, windows, exceptions, busy, first, last, later) == slots


def test_unchanged_until_is_when_the_first_slot_falls_within_the_notice_or_a_day_passes_the_horizon():
    plan = schedule("America/New_York", 30, every_day(1), notice=60, horizon=1)
    windows = {1: LocalWindow(time(9), time(10))}
    now = datetime(2027, 1, 4, 12, tzinfo=UTC)  # 07:00 in New York
    slots = expand_slots(plan, windows, [], [], date(2027, 1, 4), date(2027, 1, 4), now)
    assert unchanged_until(plan, slots, date(2027, 1, 4), now) == datetime(2027, 1, 4, 13, tzinfo=UTC)
    # Asking for the day after the horizon too: New York's next midnight comes first.
    late = datetime(2027, 1, 4, 16, tzinfo=UTC)  # 11:00: no slot left today
    slots = expand_slots(plan, windows, [], [], date(2027, 1, 4), date(2027, 1, 8), late)
    assert unchanged_until(plan, slots, date(2027, 1, 8), late) == datetime(2027, 1, 5, 5, tzinfo=UTC)
    later = datetime(2027, 1, 5, 5, 30, tzinfo=UTC)
    assert expand_slots(plan, windows, [], [], date(2027, 1, 4), date(2027, 1, 8), later) != slots


@properties(max_examples=200, deadline=None)
@given(scenarios(), st.data())
def test_free_slot_at_answers_what_the_expansion_around_the_start_lists(scenario, data):
    plan, windows, exceptions, busy, first, last, now = scenario
    zone = ZoneInfo(plan.timezone)
    length = timedelta(minutes=plan.slot_minutes)
    # Every start on some window's grid (listed, or within the notice, past the horizon, busy, or
    # overlapped by another window's slot), and an instant anywhere around the range.
    starts = []
    for day in range(-1, (last - first).days + 1):
        on = first + timedelta(days=day)
        for window, _time_id in day_windows(plan, windows, exceptions, on):
            begin, end = window_instants(on, window, zone)
            while begin + length <= end:
                starts.append(begin)
                begin += length
    base = datetime.combine(first, time(), UTC)
    starts.append(base + timedelta(minutes=5 * data.draw(st.integers(-2 * 1440 // 5, 9 * 1440 // 5))))
    for start in starts:
        around = expand_slots(plan, windows, exceptions, busy, *local_dates_around(start, zone), now)
        expected = next((slot for slot in around if slot.start == start and slot.status is SlotStatus.FREE), None)
        assert free_slot_at(plan, windows, exceptions, busy, start, now) == expected
        # Given in the doctor's offset, answered in UTC as the listing answers it.
        found = free_slot_at(plan, windows, exceptions, busy, start.astimezone(zone), now)
        assert found == expected
        assert found is None or found.start.tzinfo is UTC


def test_free_slot_at_leaves_out_a_slot_an_earlier_window_overlaps():
    # 09:00-10:00 and 09:15-10:45 in 30-minute slots: the second window's 09:15 and 09:45 overlap the
    # first's slots, so only its 10:15 is listed.
    plan = schedule("UTC", 30, [(0, 1), (0, 2)])
    windows = {1: LocalWindow(time(9), time(10)), 2: LocalWindow(time(9, 15), time(10, 45))}
    monday = datetime(2027, 1, 4, tzinfo=UTC)
    assert [(s.start.time(), s.time) for s in expand_slots(plan, windows, [], [], monday.date(), monday.date(),
                                                           LONG_AGO)] == [
        (time(9), 1), (time(9, 30), 1), (time(10, 15), 2)]
    assert free_slot_at(plan, windows, [], [], monday.replace(hour=9, minute=15), LONG_AGO) is None
    assert free_slot_at(plan, windows, [], [], monday.replace(hour=9, minute=45), LONG_AGO) is None
    assert free_slot_at(plan, windows, [], [], monday.replace(hour=10, minute=15), LONG_AGO).time == 2
    busy = [BusyInterval(monday.replace(hour=9, minute=20), monday.replace(hour=9, minute=40))]
    assert free_slot_at(plan, windows, [], busy, monday.replace(hour=9, minute=30), LONG_AGO) is None
