"""Available times: the consultation slots doctors offer and appointments are booked into."""

from __future__ import annotations

from dataclasses import dataclass

from hospital.domain.errors import ErrorCollector, ValidationError

TIME_MAX = 50


def normalize_time_label(time: str) -> str:
    """A free label such as "Monday 9:00-10:00"; the original never parsed it, so neither do we."""
    time = time.strip()
    if not time:
        raise ValidationError.field("time", "This field may not be blank.")
    if len(time) > TIME_MAX:
        raise ValidationError.field("time", f"Ensure this field has no more than {TIME_MAX} characters.")
    return time


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
