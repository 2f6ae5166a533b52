"""A doctor's week: the zone their hours are in, the slot length, how much notice and how far ahead a
patient may book, and the weekly rules (a weekday and one of the doctor's available times, whose
window gives the hours); and date exceptions, which replace one date's rules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hospital.domain.errors import ConflictError, ErrorCollector, ValidationError
from hospital.domain.time_windows import LocalWindow

SLOT_MINUTES = (5, 480)
# A dated appointment is one slot, so none lasts longer than the longest slot a schedule may have:
# what lets a listing look only at the appointments ending before its span's end plus this.
LONGEST_APPOINTMENT = timedelta(minutes=SLOT_MINUTES[1])
MIN_NOTICE_MINUTES = (0, 43200)
HORIZON_DAYS = (1, 730)
DEFAULT_SLOT_MINUTES, DEFAULT_MIN_NOTICE_MINUTES, DEFAULT_HORIZON_DAYS = 30, 0, 90
WINDOWLESS_TIME = "This available time has no window (start and end); give it one first."
NOT_THE_DOCTORS_TIME = "This time is not one of the doctor's available times."
EXCEPTION_EXISTS = "This doctor already has an exception for this date."


class DuplicateExceptionError(ConflictError):
    """One date exception per doctor and date: raised by the use case's check and by the store."""

    def __init__(self) -> None:
        super().__init__({"date": [EXCEPTION_EXISTS]})


def zone_named(name: object, field_name: str = "timezone") -> ZoneInfo:
    """The IANA zone ``name`` (400 naming ``field_name`` when there is none)."""
    if isinstance(name, str) and name and "\x00" not in name and not name.startswith(("/", ".")):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    raise ValidationError.field(field_name, f'"{name}" is not a known IANA time zone.')


def _in_range(value: object, bounds: tuple[int, int]) -> int:
    low, high = bounds
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError("A valid integer is required.")
    if not low <= value <= high:
        raise ValidationError(f"Ensure this value is between {low} and {high}.")
    return value


@dataclass(frozen=True, slots=True, order=True)
class WeeklyRule:
    """On ``weekday`` (0 = Monday ... 6 = Sunday) the doctor works the window of available time ``time_id``."""

    weekday: int
    time_id: int


@dataclass(eq=False)
class DoctorSchedule:
    doctor_id: int
    timezone: str
    slot_minutes: int = DEFAULT_SLOT_MINUTES
    min_notice_minutes: int = DEFAULT_MIN_NOTICE_MINUTES
    horizon_days: int = DEFAULT_HORIZON_DAYS
    rules: tuple[WeeklyRule, ...] = ()

    @classmethod
    def default(cls, doctor_id: int, timezone: str) -> DoctorSchedule:
        """What a doctor who never set a schedule has: no rules, so no slots."""
        return cls(doctor_id=doctor_id, timezone=timezone)

    @classmethod
    def define(cls, doctor_id: int, *, timezone: object, slot_minutes: object, min_notice_minutes: object,
               horizon_days: object, rules: Iterable[tuple[object, object]],
               windows: Mapping[int, LocalWindow | None]) -> DoctorSchedule:
        """A checked schedule; ``windows`` maps each of the doctor's available times to its window."""
        errors = ErrorCollector()
        errors.check("timezone", lambda: zone_named(timezone))
        slot = errors.check("slot_minutes", lambda: _in_range(slot_minutes, SLOT_MINUTES))
        notice = errors.check("min_notice_minutes", lambda: _in_range(min_notice_minutes, MIN_NOTICE_MINUTES))
        horizon = errors.check("horizon_days", lambda: _in_range(horizon_days, HORIZON_DAYS))
        checked: list[WeeklyRule] = []
        for weekday, time_id in rules:
            rule = errors.collect(lambda weekday=weekday, time_id=time_id: _checked_rule(weekday, time_id, windows))
            if rule is None:
                continue
            if rule in checked:
                errors.add("rules", f"Duplicate rule: weekday {rule.weekday} with time {rule.time_id}.")
            else:
                checked.append(rule)
        errors.raise_if_any()
        assert isinstance(timezone, str) and slot is not None and notice is not None and horizon is not None
        return cls(doctor_id=doctor_id, timezone=timezone, slot_minutes=slot, min_notice_minutes=notice,
                   horizon_days=horizon, rules=tuple(sorted(checked)))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _checked_rule(weekday: object, time_id: object, windows: Mapping[int, LocalWindow | None]) -> WeeklyRule:
    errors = ErrorCollector()
    day = errors.check("weekday", lambda: _in_range(weekday, (0, 6)))
    if not isinstance(time_id, int) or isinstance(time_id, bool):
        errors.add("time", "A valid integer is required.")
    elif time_id not in windows:
        errors.add("time", NOT_THE_DOCTORS_TIME)
    elif windows[time_id] is None:
        errors.add("time", WINDOWLESS_TIME)
    if errors.errors:
        # Filed under "rules", as DRF files a nested list's errors under the list's name.
        raise ValidationError({"rules": [f"{name}: {message}" for name, messages in errors.errors.items()
                                         for message in messages]})
    assert day is not None and isinstance(time_id, int)
    return WeeklyRule(day, time_id)


def checked_windows(windows: Iterable[LocalWindow]) -> tuple[LocalWindow, ...]:
    """Windows of one date, sorted; two that overlap are a 400."""
    ordered = tuple(sorted(windows))
    for before, after in pairwise(ordered):
        if before.overlaps(after):
            raise ValidationError.field("windows", f"The windows {before} and {after} overlap.")
    return ordered


@dataclass(eq=False)
class ScheduleException:
    """On ``date`` the doctor works these windows (none: a day off) instead of the weekly rules."""

    doctor_id: int
    date: date
    windows: tuple[LocalWindow, ...] = field(default=())
    id: int | None = None

    @classmethod
    def create(cls, doctor_id: int, on: date, windows: Iterable[LocalWindow]) -> ScheduleException:
        return cls(doctor_id=doctor_id, date=on, windows=checked_windows(windows))
