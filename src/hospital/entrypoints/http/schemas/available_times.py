"""Available times on the wire: {id, time}."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from hospital.application.ports.catalogue import AvailableTimeView
from hospital.domain.schedules import TIME_MAX
from hospital.entrypoints.http.schemas.text import stripped_text

TimeLabel = Annotated[str, Meta(extra_json_schema=stripped_text(TIME_MAX),
                                description='A label such as "Monday 9:00-10:00".')]


Clock = Annotated[str, Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
                            description='Local wall-clock time, "HH:MM" (dated scheduling: the window of the label).')]


class AvailableTimeWrite(msgspec.Struct):
    time: TimeLabel | UnsetType = UNSET
    # Both or neither; left out, a label that reads as a range ("9am-10am") gives them.
    start: Clock | UnsetType = UNSET
    end: Clock | UnsetType = UNSET


class AvailableTimeOut(msgspec.Struct):
    id: int
    time: str
    start: str | None = None
    end: str | None = None

    @classmethod
    def of(cls, time: AvailableTimeView) -> AvailableTimeOut:
        return cls(id=time.id, time=time.time, start=time.start, end=time.end)
