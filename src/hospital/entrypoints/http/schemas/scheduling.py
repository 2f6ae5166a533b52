"""Dated scheduling on the wire (SCHEDULING.md): schedules, date exceptions, slots, and the bodies of
an appointment's status, cancel and reschedule."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from hospital.domain.appointment_lifecycle import FhirStatus
from hospital.domain.cancellation import CANCELLATION_REASONS, NOTE_MAX
from hospital.domain.doctor_schedules import HORIZON_DAYS, MIN_NOTICE_MINUTES, SLOT_MINUTES
from hospital.entrypoints.http import openapi

Id = Annotated[int, Meta(ge=1, le=2**31 - 1)]
Clock = Annotated[str, Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description='Local wall-clock time, "HH:MM".')]
# Text, parsed by the use case once the caller is known (so an anonymous caller gets 401, not 400).
Instant = Annotated[str, Meta(max_length=64, description="An instant, RFC 3339 with Z or an offset "
                                                        "(2027-01-04T14:00:00Z); answers are in UTC (Z).")]
FORM_OBJECTS = ("In a form (urlencoded or multipart): one JSON array of the objects, or one JSON object per "
                "repeated key.")
Zone = Annotated[str, Meta(min_length=1, max_length=64, description='An IANA time zone, "America/New_York".')]


class RuleIn(msgspec.Struct):
    weekday: Annotated[int, Meta(ge=0, le=6, description="0 = Monday ... 6 = Sunday")]
    time: Id


class ScheduleWrite(msgspec.Struct):
    """A doctor's whole schedule; a field left out takes its default."""

    timezone: Zone | UnsetType = UNSET
    slot_minutes: Annotated[int, Meta(ge=SLOT_MINUTES[0], le=SLOT_MINUTES[1])] | UnsetType = UNSET
    min_notice_minutes: Annotated[int, Meta(ge=MIN_NOTICE_MINUTES[0], le=MIN_NOTICE_MINUTES[1])] | UnsetType = UNSET
    horizon_days: Annotated[int, Meta(ge=HORIZON_DAYS[0], le=HORIZON_DAYS[1])] | UnsetType = UNSET
    rules: Annotated[list[RuleIn], Meta(description=FORM_OBJECTS)] = msgspec.field(default_factory=list)


class WindowIn(msgspec.Struct):
    start: Clock
    end: Clock


class ScheduleExceptionWrite(msgspec.Struct):
    date: Annotated[str, Meta(extra_json_schema={"format": "date"}, description="A local date, YYYY-MM-DD.")]
    windows: Annotated[list[WindowIn], Meta(description=FORM_OBJECTS)] = msgspec.field(default_factory=list)


class StatusWrite(msgspec.Struct):
    status: Annotated[str, openapi.choice(*(member.value for member in FhirStatus))]


class CancelWrite(msgspec.Struct):
    reason: Annotated[str, openapi.choice(*CANCELLATION_REASONS)] | UnsetType = UNSET
    note: Annotated[str, Meta(max_length=NOTE_MAX)] | UnsetType = UNSET


class RescheduleWrite(msgspec.Struct):
    start: Instant
