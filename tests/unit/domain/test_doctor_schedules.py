from datetime import date, time

import pytest

from hospital.domain.doctor_schedules import DoctorSchedule, ScheduleException, WeeklyRule
from hospital.domain.errors import ValidationError
from hospital.domain.time_windows import LocalWindow

WINDOWS = {1: LocalWindow(time(9), time(12)), 2: LocalWindow(time(14), time(17)), 3: None}
VALID = {"timezone": "America/New_York", "slot_minutes": 30, "min_notice_minutes": 60, "horizon_days": 90,
         "rules": [(0, 1), (0, 2), (4, 1)]}


def define(**changes):
    return DoctorSchedule.define(7, **{**VALID, **changes}, windows=WINDOWS)


def errors_of(**changes):
    with pytest.raises(ValidationError) as error:
        define(**changes)
    return error.value.errors


def test_a_valid_schedule():
    schedule = define()
    assert (schedule.doctor_id, schedule.timezone, schedule.slot_minutes, schedule.min_notice_minutes,
            schedule.horizon_days) == (7, "America/New_York", 30, 60, 90)
    assert schedule.rules == (WeeklyRule(0, 1), WeeklyRule(0, 2), WeeklyRule(4, 1))


def test_the_default_schedule_has_no_rules():
    schedule = DoctorSchedule.default(7, "UTC")
    assert (schedule.slot_minutes, schedule.min_notice_minutes, schedule.horizon_days, schedule.rules) == (
        30, 0, 90, ())


@pytest.mark.parametrize(("field", "value"), [
    ("timezone", "Mars/Olympus"), ("timezone", ""), ("timezone", "../etc/passwd"), ("timezone", 5),
    ("slot_minutes", 4), ("slot_minutes", 481), ("slot_minutes", "30"), ("slot_minutes", True),
    ("min_notice_minutes", -1), ("min_notice_minutes", 43201),
    ("horizon_days", 0), ("horizon_days", 731),
])
def test_each_bad_value_is_named(field, value):
    assert list(errors_of(**{field: value})) == [field]


@pytest.mark.parametrize("rules", [[(7, 1)], [(-1, 1)], [(0, 9)], [(0, 3)], [(0, 1), (0, 1)], [(0, "1")]])
def test_bad_rules_are_filed_under_rules(rules):
    assert list(errors_of(rules=rules)) == ["rules"]


def test_every_problem_at_once():
    assert set(errors_of(timezone="x", slot_minutes=1, rules=[(9, 1)])) == {"timezone", "slot_minutes", "rules"}


def test_bounds_are_included():
    define(slot_minutes=5, min_notice_minutes=0, horizon_days=1)
    define(slot_minutes=480, min_notice_minutes=43200, horizon_days=730)


def test_exception_windows_are_sorted_and_may_not_overlap():
    exception = ScheduleException.create(7, date(2027, 1, 4), [LocalWindow(time(13), time(16)),
                                                               LocalWindow(time(9), time(10))])
    assert exception.windows == (LocalWindow(time(9), time(10)), LocalWindow(time(13), time(16)))
    assert ScheduleException.create(7, date(2027, 1, 4), []).windows == ()
    with pytest.raises(ValidationError) as error:
        ScheduleException.create(7, date(2027, 1, 4), [LocalWindow(time(9), time(11)), LocalWindow(time(10), time(12))])
    assert list(error.value.errors) == ["windows"]
