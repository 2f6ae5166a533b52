"""Available times: the consultation slots doctors offer and appointments are booked into."""

from __future__ import annotations

from dataclasses import dataclass

from hospital.domain.errors import ErrorCollector
from hospital.domain.text import required_text

TIME_MAX = 50


def normalize_time_label(time: str) -> str:
    """A free label such as "Monday 9:00-10:00"; the original never parsed it, so neither do we."""
    # NUL is refused too: PostgreSQL cannot store it.
    return required_text(time, "time", TIME_MAX)


@dataclass(eq=False)
class AvailableTime:
    time: str
    id: int | None = None

    @classmethod
    def create(cls, *, time: str) -> AvailableTime:
        errors = ErrorCollector()
        time = errors.check("time", lambda: normalize_time_label(time))
        errors.raise_if_any()
        return cls(time=time)

    def update(self, *, time: str | None = None) -> None:
        errors = ErrorCollector()
        if time is not None:
            time = errors.check("time", lambda: normalize_time_label(time))
        errors.raise_if_any()
        if time is not None:
            self.time = time
