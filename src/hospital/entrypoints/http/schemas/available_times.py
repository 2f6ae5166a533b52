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


class AvailableTimeWrite(msgspec.Struct):
    time: TimeLabel | UnsetType = UNSET


class AvailableTimeOut(msgspec.Struct):
    id: int
    time: str

    @classmethod
    def of(cls, time: AvailableTimeView) -> AvailableTimeOut:
        return cls(id=time.id, time=time.time)
