"""Local time windows: the wall-clock hours of an available time ("09:00" to "10:00"), and reading
them from the free labels doctors already wrote ("9am-10am", "09:00-10:00")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

from hospital.domain.errors import ErrorCollector, ValidationError

CLOCK_FORMAT = "HH:MM"
END_NOT_AFTER_START = "The end must be after the start."
_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def parse_clock(value: object, field: str) -> time:
    """A 24-hour ``"HH:MM"``, exactly; anything else is a 400 naming ``field``."""
    match = _CLOCK.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValidationError.field(field, f"Time has wrong format. Use this format instead: {CLOCK_FORMAT}.")
    return time(int(match[1]), int(match[2]))


def format_clock(value: time) -> str:
    return value.strftime("%H:%M")


@dataclass(frozen=True, slots=True, order=True)
class LocalWindow:
    """Wall-clock hours within one day, start included, end excluded; the end is after the start
    (a window never spans midnight)."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValidationError.field("end", END_NOT_AFTER_START)

    @classmethod
    def parse(cls, start: object, end: object) -> LocalWindow:
        errors = ErrorCollector()
        first = errors.check("start", lambda: parse_clock(start, "start"))
        last = errors.check("end", lambda: parse_clock(end, "end"))
        errors.raise_if_any()
        assert first is not None and last is not None
        return cls(first, last)

    def overlaps(self, other: LocalWindow) -> bool:
        return self.start < other.end and other.start < self.end

    def __str__(self) -> str:
        return f"{format_clock(self.start)}-{format_clock(self.end)}"


# One side of a range: "9", "9:30", "09:00", "9am", "9 AM", "9.30 p.m.".
_SIDE = r"(\d{1,2})(?:[:.](\d{2}))?\s*([ap])?\.?\s*(?:m\.?)?"
_RANGE = re.compile(rf"\s*{_SIDE}\s*(?:-|–|—|to)\s*{_SIDE}\s*", re.IGNORECASE)


def _clock(hour: int, minute: int, meridiem: str | None) -> time | None:
    if minute > 59:
        return None
    if meridiem is None:
        return time(hour, minute) if hour <= 23 else None
    if not 1 <= hour <= 12:
        return None
    hour %= 12
    return time(hour + (12 if meridiem == "p" else 0), minute)


def window_from_label(label: str) -> LocalWindow | None:
    """The window a label reads as ("9am-10am", "9 AM - 10 AM", "09:00-10:00", "9:30am-11am",
    "9-11am"), or None when it does not read as one range within a day. A side without am/pm takes
    the other's ("9-11am"); without either, both are 24-hour times."""
    match = _RANGE.fullmatch(label)
    if match is None:
        return None
    start_hour, start_minute, start_meridiem, end_hour, end_minute, end_meridiem = match.groups()
    start_meridiem = (start_meridiem or end_meridiem or "").lower() or None
    end_meridiem = (end_meridiem or start_meridiem or "").lower() or None
    start = _clock(int(start_hour), int(start_minute or 0), start_meridiem)
    end = _clock(int(end_hour), int(end_minute or 0), end_meridiem)
    if start is not None and end is not None and match[3] is None and end <= start and start_meridiem == "p":
        # "11-1pm": the start borrowed "pm" from the end, but the range means 11am to 1pm.
        start = _clock(int(start_hour), int(start_minute or 0), "a")
    if start is None or end is None or end <= start:
        return None
    return LocalWindow(start, end)
