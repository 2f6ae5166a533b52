"""Doctors' schedules, date exceptions and slots (SCHEDULING.md sections 3 and 4).

Anyone reads a schedule, its exceptions and its slots; the doctor or an admin changes them (another
user 403, anonymous 401). Editing a schedule never moves or cancels an appointment.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from hospital.application.access import require_authenticated
from hospital.application.ports.clock import Clock
from hospital.application.ports.read_side import ReadSide
from hospital.application.ports.schedules import SlotSources
from hospital.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from hospital.application.retry import rerun_on_concurrent_change
from hospital.domain.actors import Actor
from hospital.domain.doctor_schedules import (
    DEFAULT_HORIZON_DAYS,
    DEFAULT_MIN_NOTICE_MINUTES,
    DEFAULT_SLOT_MINUTES,
    DoctorSchedule,
    DuplicateExceptionError,
    ScheduleException,
)
from hospital.domain.errors import ErrorCollector, NotFoundError, PermissionDeniedError, ValidationError
from hospital.domain.slots import Slot, expand_slots, unchanged_until
from hospital.domain.time_windows import LocalWindow, format_clock

MAX_SLOT_DAYS = 31
NOT_YOUR_SCHEDULE = "Only this doctor or an admin may change this schedule."


@dataclass(frozen=True, slots=True)
class RuleView:
    """A weekly rule on the wire: a weekday (0 = Monday) and an available time's id."""

    weekday: int
    time: int


@dataclass(frozen=True, slots=True)
class ScheduleView:
    """A doctor's schedule as GET and PUT answer it."""

    timezone: str
    slot_minutes: int
    min_notice_minutes: int
    horizon_days: int
    rules: list[RuleView]

    @classmethod
    def of(cls, schedule: DoctorSchedule) -> ScheduleView:
        return cls(timezone=schedule.timezone, slot_minutes=schedule.slot_minutes,
                   min_notice_minutes=schedule.min_notice_minutes, horizon_days=schedule.horizon_days,
                   rules=[RuleView(rule.weekday, rule.time_id) for rule in schedule.rules])


@dataclass(frozen=True, slots=True)
class WindowView:
    """Local hours, "HH:MM" to "HH:MM"."""

    start: str
    end: str


@dataclass(frozen=True, slots=True)
class ExceptionView:
    """A date exception as the endpoints answer it."""

    id: int
    date: date
    windows: list[WindowView]

    @classmethod
    def of(cls, exception: ScheduleException) -> ExceptionView:
        assert exception.id is not None
        return cls(id=exception.id, date=exception.date, windows=[
            WindowView(format_clock(window.start), format_clock(window.end)) for window in exception.windows])


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    """A PUT of a schedule; None takes the default (SCHEDULING.md section 3)."""

    timezone: object = None
    slot_minutes: object = None
    min_notice_minutes: object = None
    horizon_days: object = None
    # (weekday, time) pairs
    rules: Sequence[tuple[object, object]] = ()


@dataclass(frozen=True, slots=True)
class ScheduleExceptionCommand:
    """One date's windows in place of its weekly rules: ``date`` ("YYYY-MM-DD"), ``windows`` a list
    of ``{"start": "HH:MM", "end": "HH:MM"}`` (none: a day off). Checked by the use case."""

    date: object = None
    windows: object = ()


def parse_date(value: object, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise ValidationError.field(field, "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.")


def _windows(windows: object) -> list[LocalWindow]:
    if not isinstance(windows, list | tuple):
        raise ValidationError.field("windows", f'Expected a list of items but got type "{type(windows).__name__}".')
    parsed: list[LocalWindow] = []
    errors = ErrorCollector()
    for window in windows:
        if not isinstance(window, dict):
            errors.add("windows", "Each window is an object with start and end.")
            continue
        found = errors.check("windows", lambda window=window: LocalWindow.parse(window.get("start"), window.get("end")))
        if found is not None:
            parsed.append(found)
    errors.raise_if_any()
    return parsed


class ScheduleUseCase:
    """The schedule use cases' wiring and the rule of who may change a schedule."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, default_timezone: str = "UTC") -> None:
        self._uow = uow
        self._clock = clock
        self._default_timezone = default_timezone

    @staticmethod
    def _ensure_may_change(actor: Actor, doctor_id: int) -> None:
        require_authenticated(actor)
        if not (actor.is_admin or actor.doctor_id == doctor_id):
            raise PermissionDeniedError(NOT_YOUR_SCHEDULE)

    async def _sources(self, uow: UnitOfWork, doctor_id: int) -> SlotSources:
        sources = await uow.slot_sources.schedule(doctor_id)
        if sources is None:
            raise NotFoundError()
        return sources


class ScheduleReadUseCase:
    """The read use cases' wiring: the read side (committed data, no unit of work)."""

    def __init__(self, reads: ReadSide, clock: Clock, default_timezone: str = "UTC") -> None:
        self._reads = reads
        self._clock = clock
        self._default_timezone = default_timezone

    def _schedule_or_default(self, doctor_id: int, sources: SlotSources) -> DoctorSchedule:
        return sources.schedule or DoctorSchedule.default(doctor_id, self._default_timezone)


class GetSchedule(ScheduleReadUseCase):
    """A doctor's schedule (anyone); the defaults, with no rules, for a doctor who never set one."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, doctor_id: int) -> ScheduleView:
        sources = await self._reads.schedules.schedule(doctor_id)
        if sources is None:
            raise NotFoundError()
        return ScheduleView.of(self._schedule_or_default(doctor_id, sources))


class SetSchedule(ScheduleUseCase):
    """The doctor or an admin replaces the doctor's schedule; each rule names one of the doctor's
    available times that has a window."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, doctor_id: int, settings: ScheduleSettings) -> ScheduleView:
        self._ensure_may_change(actor, doctor_id)
        async with self._uow() as uow:
            sources = await self._sources(uow, doctor_id)
            schedule = DoctorSchedule.define(
                doctor_id,
                timezone=self._default_timezone if settings.timezone is None else settings.timezone,
                slot_minutes=DEFAULT_SLOT_MINUTES if settings.slot_minutes is None else settings.slot_minutes,
                min_notice_minutes=(DEFAULT_MIN_NOTICE_MINUTES if settings.min_notice_minutes is None
                                    else settings.min_notice_minutes),
                horizon_days=DEFAULT_HORIZON_DAYS if settings.horizon_days is None else settings.horizon_days,
                rules=settings.rules, windows=sources.windows,
            )
            await uow.schedules.save(schedule)
            await uow.commit()
        return ScheduleView.of(schedule)


class ListScheduleExceptions(ScheduleReadUseCase):
    """A doctor's date exceptions, by date (anyone)."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, doctor_id: int) -> list[ExceptionView]:
        exceptions = await self._reads.schedules.exceptions(doctor_id)
        if exceptions is None:
            raise NotFoundError()
        return [ExceptionView.of(exception) for exception in exceptions]


class AddScheduleException(ScheduleUseCase):
    """The doctor or an admin replaces one date's rules with these windows (none: a day off)."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, doctor_id: int, command: ScheduleExceptionCommand) -> ExceptionView:
        self._ensure_may_change(actor, doctor_id)
        errors = ErrorCollector()
        day = errors.check("date", lambda: parse_date(command.date, "date"))
        parsed = errors.collect(lambda: _windows(command.windows))
        errors.raise_if_any()
        assert day is not None and parsed is not None
        exception = ScheduleException.create(doctor_id, day, parsed)
        async with self._uow() as uow:
            existing = await uow.slot_sources.exceptions(doctor_id)
            if existing is None:
                raise NotFoundError()
            if any(other.date == day for other in existing):
                raise DuplicateExceptionError()
            await uow.schedules.add_exception(exception)
            await uow.commit()
        return ExceptionView.of(exception)


class DeleteScheduleException(ScheduleUseCase):
    """The doctor or an admin removes a date exception; the date's weekly rules apply again."""

    @rerun_on_concurrent_change
    async def __call__(self, actor: Actor, doctor_id: int, exception_id: int) -> None:
        self._ensure_may_change(actor, doctor_id)
        async with self._uow() as uow:
            exception = await uow.schedules.get_exception(doctor_id, exception_id)
            if exception is None:
                raise NotFoundError()
            await uow.schedules.delete_exception(exception)
            await uow.commit()


def checked_range(first: object, last: object) -> tuple[date, date]:
    """``from`` and ``to``, local dates both included, at most MAX_SLOT_DAYS days."""
    errors = ErrorCollector()
    start = errors.check("from", lambda: parse_date(first, "from") if first is not None else _required())
    end = errors.check("to", lambda: parse_date(last, "to") if last is not None else _required())
    errors.raise_if_any()
    assert start is not None and end is not None
    if end < start:
        raise ValidationError.field("to", "Must not be before from.")
    if (end - start).days + 1 > MAX_SLOT_DAYS:
        raise ValidationError.field("to", f"At most {MAX_SLOT_DAYS} days at once.")
    return start, end


def _required() -> date:
    raise ValidationError("This query parameter is required.")


def utc_span(first: date, last: date) -> tuple[datetime, datetime]:
    """Instants surely covering local dates first..last in any zone (UTC-12 to UTC+14, DST-stretched days)."""
    return (datetime.combine(first, time(), UTC) - timedelta(days=1),
            datetime.combine(last, time(), UTC) + timedelta(days=2))


@dataclass(frozen=True, slots=True, eq=False)
class SlotListing:
    """A doctor's slots over a range as ``ListSlots.listing`` answers them. While the slots' sources
    and the clock leave them unchanged, the same object is answered again: whoever renders it (the
    HTTP layer encodes it) may keep what it made from it, keyed by identity."""

    slots: tuple[Slot, ...]


# Expansions kept for reuse, counted in slots (a month of 15-minute slots, 8 hours a day, is about
# 1,000; each slot about 200 bytes with its two instants).
REUSED_SLOTS = 20_000


class ListSlots(ScheduleReadUseCase):
    """The doctor's slots of local dates ``first``..``last`` (anyone), free or busy; never who holds them.

    Three queries whatever the range (the schedule, the exceptions, the busy intervals). When the
    read side answers the very same sources as last time for this range (their rows unchanged, see
    ``SlotSourceQueries.slot_sources``) and the clock has not passed the moment the expansion would
    change (``unchanged_until``), the last expansion is answered again; anything else expands anew,
    so a committed booking shows busy in the next listing."""

    def __init__(self, reads: ReadSide, clock: Clock, default_timezone: str = "UTC") -> None:
        super().__init__(reads, clock, default_timezone)
        self._kept: OrderedDict[tuple[int, date, date], tuple[SlotSources, datetime, datetime, SlotListing]] = (
            OrderedDict())
        self._kept_slots = 0

    async def __call__(self, actor: Actor, doctor_id: int, first: object, last: object) -> list[Slot]:
        return list((await self.listing(actor, doctor_id, first, last)).slots)

    @rerun_on_concurrent_change
    async def listing(self, actor: Actor, doctor_id: int, first: object, last: object) -> SlotListing:
        start, end = checked_range(first, last)
        since, until = utc_span(start, end)
        sources = await self._reads.schedules.slot_sources(doctor_id, start, end, since=since, until=until)
        if sources is None:
            raise NotFoundError()
        now = self._clock.now()
        key = (doctor_id, start, end)
        kept = self._kept.get(key)
        if kept is not None and kept[0] is sources and kept[1] <= now < kept[2]:
            self._kept.move_to_end(key)
            return kept[3]
        schedule = self._schedule_or_default(doctor_id, sources)
        slots = expand_slots(schedule, sources.windows, sources.exceptions, sources.busy, start, end, now)
        listing = SlotListing(tuple(slots))
        self._keep(key, (sources, now, unchanged_until(schedule, slots, end, now), listing))
        return listing

    def _keep(self, key: tuple[int, date, date],
              entry: tuple[SlotSources, datetime, datetime, SlotListing]) -> None:
        former = self._kept.pop(key, None)
        if former is not None:
            self._kept_slots -= len(former[3].slots)
        if len(entry[3].slots) > REUSED_SLOTS // 4:
            return
        self._kept[key] = entry
        self._kept_slots += len(entry[3].slots)
        while self._kept_slots > REUSED_SLOTS:
            _, (_, _, _, dropped) = self._kept.popitem(last=False)
            self._kept_slots -= len(dropped.slots)
