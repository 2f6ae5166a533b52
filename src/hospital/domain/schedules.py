"""Available times: the consultation slots doctors offer and appointments are booked into.

Each has a free label (``time``, never changed by anything but its own update) and, for dated
scheduling, a window of local hours (``window_start``/``window_end``): sent with it, or read from a
label that reads as a range ("9am-10am"); a label that doesn't leaves the time windowless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time as clock_time

from hospital.domain.errors import ErrorCollector, ValidationError
from hospital.domain.text import required_text
from hospital.domain.time_windows import LocalWindow, window_from_label

TIME_MAX = 50
START_AND_END = "Give both start and end, or neither."


def normalize_time_label(time: str) -> str:
    """A free label such as "Monday 9:00-10:00"; kept as written (its window is read separately)."""
    # NUL is refused too: PostgreSQL cannot store it.
    return required_text(time, "time", TIME_MAX)


def _sent_window(start: object, end: object) -> LocalWindow | None:
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise ValidationError({"start" if start is None else "end": [START_AND_END]})
    return LocalWindow.parse(start, end)


@dataclass(eq=False)
class AvailableTime:
    time: str
    id: int | None = None
    window_start: clock_time | None = None
    window_end: clock_time | None = None

    @property
    def window(self) -> LocalWindow | None:
        if self.window_start is None or self.window_end is None:
            return None
        return LocalWindow(self.window_start, self.window_end)

    def _set_window(self, window: LocalWindow | None) -> None:
        self.window_start = window.start if window else None
        self.window_end = window.end if window else None

    @classmethod
    def create(cls, *, time: str, start: object = None, end: object = None) -> AvailableTime:
        errors = ErrorCollector()
        time = errors.check("time", lambda: normalize_time_label(time))
        window = errors.collect(lambda: _sent_window(start, end))
        errors.raise_if_any()
        available = cls(time=time)
        available._set_window(window or window_from_label(time))
        return available

    def update(self, *, time: str | None = None, start: object = None, end: object = None) -> None:
        """A window sent replaces the window; a new label without one is read for a window, and
        one that does not read as a range leaves the window as it was."""
        errors = ErrorCollector()
        if time is not None:
            time = errors.check("time", lambda: normalize_time_label(time))
        window = errors.collect(lambda: _sent_window(start, end))
        errors.raise_if_any()
        if time is not None and time != self.time:
            self.time = time
            if window is None:
                window = window_from_label(time) or self.window
        if window is not None:
            self._set_window(window)
