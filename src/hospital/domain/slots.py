"""Slot expansion: a schedule, its date exceptions and the busy intervals over a range of local dates
-> the slots, as instants in UTC. Nothing is stored; slots are computed on demand.

Invariants (tests/unit/domain/test_slot_expansion.py proves them with hypothesis):
- each window is cut into consecutive slots of ``slot_minutes`` of ELAPSED time from its start; a
  slot that would pass the window's end is dropped. Across a DST change the window's length is
  elapsed time, so a fall-back window yields more slots and a spring-forward one fewer;
- slots never overlap (where two windows of a day overlap, the earlier slot wins);
- a date with an exception uses its windows, never the weekly rules;
- no slot starts before now + notice, none lies on a local date after today + horizon.

A window's local times become instants so: the start is the first moment the clock shows it (a time
the clock skips is counted from before the jump: 02:30 on New York's spring-forward day is 03:30
EDT), the end the last moment it shows it (01:30 on the fall-back day is the second 01:30, EST).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from hospital.domain.doctor_schedules import DoctorSchedule, ScheduleException
from hospital.domain.time_windows import LocalWindow

SLOT_TAKEN = "This slot is already taken."
PATIENT_BUSY = "The patient already has an appointment at this time."
NOT_A_SLOT = "This is not the start of one of the doctor's free slots."


class SlotStatus(StrEnum):
    FREE = "free"
    BUSY = "busy"


@dataclass(frozen=True, slots=True)
class Slot:
    """A slot as the API answers it (msgspec encodes it as it is): instants in UTC, free or busy,
    and ``time``, the available time it came from (None for a slot of an exception's window)."""

    start: datetime
    end: datetime
    status: SlotStatus
    time: int | None


@dataclass(frozen=True, slots=True)
class BusyInterval:
    """An appointment of the doctor that occupies time, [start, end)."""

    start: datetime
    end: datetime


# A pure function of its arguments (a zone's rules do not change while it lives), asked for the
# same few dates and windows by every booking and listing of a doctor: kept, a look-up instead of
# three local times made and converted (at most 4,096: about 1.4 MB).
@lru_cache(maxsize=4096)
def window_instants(on: date, window: LocalWindow, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants a local window of ``on`` spans (the module's docstring says how DST is read)."""
    start = datetime.combine(on, window.start, zone).astimezone(UTC)
    local_end = datetime.combine(on, window.end, zone)
    end = max(local_end.astimezone(UTC), local_end.replace(fold=1).astimezone(UTC))
    return start, end


def local_today(now: datetime, zone: ZoneInfo) -> date:
    return now.astimezone(zone).date()


def _day_windows(on: date, schedule: DoctorSchedule, windows: Mapping[int, LocalWindow | None],
                 exceptions: Mapping[date, ScheduleException]) -> list[tuple[LocalWindow, int | None]]:
    exception = exceptions.get(on)
    if exception is not None:
        return [(window, None) for window in exception.windows]
    weekday = on.weekday()
    day: list[tuple[LocalWindow, int | None]] = []
    for rule in schedule.rules:
        window = windows.get(rule.time_id)
        if rule.weekday == weekday and window is not None:
            day.append((window, rule.time_id))
    return day


def _runs(schedule: DoctorSchedule, windows: Mapping[int, LocalWindow | None],
          exceptions: Iterable[ScheduleException], first: date, last: date,
          now: datetime, zone: ZoneInfo) -> list[tuple[datetime, int, int | None]]:
    """The windows of local dates ``first`` to ``last`` as runs of slots (first start, how many, time),
    within notice and horizon, ordered by first start (a tie keeps date, then rule order). ``zone``
    is the schedule's."""
    length = timedelta(minutes=schedule.slot_minutes)
    earliest = now + timedelta(minutes=schedule.min_notice_minutes)
    last = min(last, local_today(now, zone) + timedelta(days=schedule.horizon_days))
    by_date = {exception.date: exception for exception in exceptions}
    runs: list[tuple[datetime, int, int | None]] = []
    on = first
    while on <= last:
        for window, time_id in _day_windows(on, schedule, windows, by_date):
            start, end = window_instants(on, window, zone)
            count = (end - start) // length
            if start < earliest:  # skip the slots within the notice
                skipped = min(count, -((start - earliest) // length))
                start += skipped * length
                count -= skipped
            if count > 0:
                runs.append((start, count, time_id))
        on += timedelta(days=1)
    runs.sort(key=lambda run: run[0])
    return runs


def expand_slots(schedule: DoctorSchedule, windows: Mapping[int, LocalWindow | None],
                 exceptions: Iterable[ScheduleException], busy: Iterable[BusyInterval],
                 first: date, last: date, now: datetime) -> list[Slot]:
    """The bookable slots of local dates ``first`` to ``last`` (both included), ordered by start.

    ``windows`` maps the doctor's available times to their windows (rules naming a time that is not
    there, or has none, yield nothing: a time unlinked or cleared since the schedule was set).
    """
    length = timedelta(minutes=schedule.slot_minutes)
    runs = _runs(schedule, windows, exceptions, first, last, now, schedule.zone)
    starts, ends = _merged(busy)
    free, taken = SlotStatus.FREE, SlotStatus.BUSY
    slots: list[Slot] = []
    previous_end: datetime | None = None
    # Slots and busy intervals both ascend: one walk over each. ``ends[b]`` is the first busy
    # interval's end that is still ahead of the slots seen so far.
    b, busy_count = 0, len(starts)
    for start, count, time_id in runs:
        for _ in range(count):
            end = start + length
            if previous_end is None or start >= previous_end:  # else it overlaps another window's slot
                while b < busy_count and ends[b] <= start:
                    b += 1
                status = taken if b < busy_count and starts[b] < end else free
                slots.append(Slot(start, end, status, time_id))
                previous_end = end
            start = end
    return slots


def unchanged_until(schedule: DoctorSchedule, slots: list[Slot], last: date, now: datetime) -> datetime:
    """The instant until which ``expand_slots`` of the same sources and range answers ``slots``
    again, for any ``now`` from this one on (a later ``now`` changes the answer only by dropping the
    first slot once it falls within the notice, or, when the horizon cut the range short, by
    letting the next local date in at midnight). Lets a caller reuse the slots it expanded."""
    until = datetime.max.replace(tzinfo=UTC)
    if slots:  # the earliest slot kept: every candidate before it was dropped by the notice or overlap
        until = slots[0].start - timedelta(minutes=schedule.min_notice_minutes)
    zone = schedule.zone
    today = local_today(now, zone)
    if last > today + timedelta(days=schedule.horizon_days):
        # The first instant of tomorrow (a skipped local midnight maps to the moment of the jump).
        until = min(until, datetime.combine(today + timedelta(days=1), time(), zone).astimezone(UTC))
    return until


def _merged(busy: Iterable[BusyInterval]) -> tuple[list[datetime], list[datetime]]:
    starts: list[datetime] = []
    ends: list[datetime] = []
    for interval in sorted(busy, key=lambda interval: interval.start):
        if ends and interval.start <= ends[-1]:
            ends[-1] = max(ends[-1], interval.end)
        else:
            starts.append(interval.start)
            ends.append(interval.end)
    return starts, ends


def free_slot_at(schedule: DoctorSchedule, windows: Mapping[int, LocalWindow | None],
                 exceptions: Iterable[ScheduleException], busy: Iterable[BusyInterval],
                 start: datetime, now: datetime) -> Slot | None:
    """The free slot starting at ``start`` among ``expand_slots`` of the local dates around it
    (``local_dates_around``), or None; without making the other slots (a booking asks for one).

    ``expand_slots`` walks the runs (a window's slots) by first start and keeps a slot when it starts
    at or after the end of the last slot kept. A run's slots are contiguous, so once one is kept all
    that follow are: what a run keeps is the slots from the first starting at or after the end kept
    before it, and that end moves to the run's end. The walk needs the runs, not their slots."""
    length = timedelta(minutes=schedule.slot_minutes)
    start = start.astimezone(UTC)  # answered as the listing answers it, whatever offset it was given in
    zone = schedule.zone
    first, last = local_dates_around(start, zone)
    kept_until: datetime | None = None  # the end of the last slot kept so far
    for run_start, count, time_id in _runs(schedule, windows, exceptions, first, last, now, zone):
        run_end = run_start + count * length
        offset = start - run_start
        if run_start <= start < run_end and offset % length == timedelta(0):
            if kept_until is not None and start < kept_until:
                return None  # overlapped by a slot kept before it (the end kept only grows: no later run keeps it)
            end = start + length
            if any(interval.start < end and start < interval.end for interval in busy):
                return None
            return Slot(start, end, SlotStatus.FREE, time_id)
        if kept_until is None or run_end - length >= kept_until:
            kept_until = run_end
    return None


def local_dates_around(start: datetime, zone: ZoneInfo) -> tuple[date, date]:
    """The local dates whose windows could hold a slot starting at ``start`` (a window never spans
    midnight, but a DST-stretched one can end past it, so the day before is looked at too)."""
    day = start.astimezone(zone).date()
    return day - timedelta(days=1), day


