"""SQLAlchemy schedules: the repository (Core statements on the unit's session), and the read port
slot listing runs on: three prepared queries (the schedule with its rules and the doctor's windows,
the date exceptions, the busy intervals), whatever the number of days or slots, run as one statement
answering one value per query (the rows of the first two as JSON texts, the busy intervals as bytes
on PostgreSQL and text on SQLite), so that a listing whose sources are unchanged compares three
values and decodes nothing."""

from __future__ import annotations

import struct
from collections import OrderedDict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import msgspec
from sqlalchemy import and_, bindparam, delete, func, insert, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from hospital.adapters.sqlalchemy.database_errors import flush
from hospital.adapters.sqlalchemy.direct_reads import ReadRunner
from hospital.adapters.sqlalchemy.integers import storable
from hospital.adapters.sqlalchemy.prepared import PreparedQuery
from hospital.adapters.sqlalchemy.read_values import utc_datetime
from hospital.adapters.sqlalchemy.tables.care import appointments as a
from hospital.adapters.sqlalchemy.tables.catalogue import available_times, doctor_available_times, doctors
from hospital.adapters.sqlalchemy.tables.scheduling import (
    OCCUPYING_SQL,
    doctor_schedules,
    schedule_exceptions,
    schedule_rules,
)
from hospital.adapters.sqlalchemy.tables.versions import slot_source_versions
from hospital.application.ports.schedules import BookableSources, SlotSources
from hospital.domain.doctor_schedules import LONGEST_APPOINTMENT, DoctorSchedule, ScheduleException, WeeklyRule
from hospital.domain.slots import BusyInterval
from hospital.domain.time_windows import LocalWindow, parse_clock

_SQLITE_INSTANT = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's storage format of DateTime on SQLite


def stored_instant(dialect: str, value: datetime) -> Any:
    """An aware instant as a prepared statement's parameter: what the column's type would bind."""
    value = value.astimezone(UTC)
    return sqlite_instant_text(value.replace(tzinfo=None)) if dialect == "sqlite" else value


def sqlite_instant_text(value: datetime) -> str:
    """A naive UTC time as SQLAlchemy's DateTime stores it on SQLite (``_SQLITE_INSTANT``): isoformat
    writes the same text for a four-digit year at a fifth of strftime's cost (a booking makes three)."""
    return value.isoformat(" ", "microseconds") if value.year >= 1000 else value.strftime(_SQLITE_INSTANT)


def read_instant(value: Any) -> datetime:
    return utc_datetime(value)  # SQLite's text is always UTC


def _read_date(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _read_time(value: Any) -> time | None:
    if value is None:
        return None
    return time.fromisoformat(value) if isinstance(value, str) else value


def encode_windows(windows: tuple[LocalWindow, ...]) -> str:
    return ",".join(str(window) for window in windows)


def decode_windows(stored: str) -> tuple[LocalWindow, ...]:
    windows = []
    for part in filter(None, stored.split(",")):
        start, end = part.split("-")
        windows.append(LocalWindow(parse_clock(start, "start"), parse_clock(end, "end")))
    return tuple(windows)


def _window(start: Any, end: Any) -> LocalWindow | None:
    first, last = _read_time(start), _read_time(end)
    return LocalWindow(first, last) if first is not None and last is not None and last > first else None


s, r, t, links = doctor_schedules, schedule_rules, available_times, doctor_available_times
# One row per available time the doctor offers, and one per rule naming a time the doctor no longer
# offers (its window then None), each with the schedule's settings (None when never set); a doctor
# with neither still has one row, so that "no such doctor" is no row at all.
_OFFERED = (
    select(links.c.doctor_id, links.c.available_time_id.label("time_id"), t.c.window_start, t.c.window_end)
    .join(t, t.c.id == links.c.available_time_id)
    .where(links.c.doctor_id == bindparam("doctor_id"))
    .subquery()
)
_SCHEDULE = PreparedQuery(
    select(doctors.c.id, s.c.timezone, s.c.slot_minutes, s.c.min_notice_minutes, s.c.horizon_days,
           r.c.weekday, r.c.available_time_id, _OFFERED.c.time_id, _OFFERED.c.window_start, _OFFERED.c.window_end)
    .select_from(doctors)
    .outerjoin(s, s.c.doctor_id == doctors.c.id)
    .outerjoin(r, r.c.doctor_id == doctors.c.id)
    .outerjoin(_OFFERED, text("1 = 1"))
    .where(doctors.c.id == bindparam("doctor_id"))
)
_EXCEPTIONS = PreparedQuery(
    select(schedule_exceptions.c.id, schedule_exceptions.c.date, schedule_exceptions.c.windows)
    .where(schedule_exceptions.c.doctor_id == bindparam("doctor_id"),
           schedule_exceptions.c.date >= bindparam("first"), schedule_exceptions.c.date <= bindparam("last"))
    .order_by(schedule_exceptions.c.date)
)
_ALL_EXCEPTIONS = PreparedQuery(
    select(doctors.c.id, schedule_exceptions.c.id, schedule_exceptions.c.date, schedule_exceptions.c.windows)
    .select_from(doctors)
    .outerjoin(schedule_exceptions, schedule_exceptions.c.doctor_id == doctors.c.id)
    .where(doctors.c.id == bindparam("doctor_id"))
    .order_by(schedule_exceptions.c.date)
)
# A range scan of the index on (doctor_id, ends_at, starts_at) WHERE occupying: the appointments
# ending after ``since``, not every earlier one as (doctor_id, starts_at) would, and by ``ends_by``
# (``until`` plus the longest appointment, domain/doctor_schedules.py), not every later one either.
_BUSY = PreparedQuery(
    select(a.c.starts_at, a.c.ends_at)
    .where(a.c.doctor_id == bindparam("doctor_id"), text(OCCUPYING_SQL),
           a.c.starts_at < bindparam("until"), a.c.ends_at > bindparam("since"),
           a.c.ends_at <= bindparam("ends_by"))
)
# SQLite's planner would take the (doctor_id, starts_at) index for its two-sided range (IS NOT NULL
# bounds it below): ``+starts_at`` is served by no index, so the ends_at one is used (migration 0007).
_SQLITE_BUSY = PreparedQuery(
    select(a.c.starts_at, a.c.ends_at)
    .where(a.c.doctor_id == bindparam("doctor_id"), text(OCCUPYING_SQL),
           text("+appointments.starts_at < :until"), a.c.ends_at > bindparam("since"),
           a.c.ends_at <= bindparam("ends_by"))
)



def _as_array(query: Any, *order: str) -> Any:
    """The query's rows as one value, a PostgreSQL array of records (asyncpg answers a list of
    tuples; NULL when there is no row), ordered by the named columns."""
    rows = query.subquery()
    row = tuple_(*rows.c)
    ordered = aggregate_order_by(row, *(rows.c[name] for name in order)) if order else row
    return select(func.array_agg(ordered)).select_from(rows).scalar_subquery()


def _busy_as_bytes() -> Any:
    """The busy intervals as one bytea, each interval's start and end in PostgreSQL's binary form
    (``timestamptz_send``: eight bytes, big-endian microseconds since 2000-01-01 UTC), by end (NULL
    for none): one value for asyncpg to hand over and the listing to compare, made at a fraction of
    the database's cost of formatting them as text, and read only when the listing expands anew.

    Ordered by end in the subquery, which the index on (doctor_id, ends_at, starts_at) answers as it
    is, index only (a third less work than the exclusion constraint's GiST index the planner takes
    otherwise). A doctor's occupying appointments never overlap, so that is their order by start;
    any order expands to the same slots."""
    rows = _BUSY.statement.order_by(a.c.ends_at).subquery()
    interval = func.timestamptz_send(rows.c.starts_at).op("||")(func.timestamptz_send(rows.c.ends_at))
    return select(func.string_agg(interval, text("''::bytea"))).select_from(rows).scalar_subquery()


_POSTGRES_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _busy_of_bytes(value: bytes | None) -> list[tuple[datetime, datetime]]:
    if not value:
        return []
    return [(_POSTGRES_EPOCH + timedelta(microseconds=start), _POSTGRES_EPOCH + timedelta(microseconds=end))
            for start, end in struct.iter_unpack(">qq", value)]


def _as_json(query: Any, postgres: bool, *order: str) -> Any:
    """The query's rows as one JSON text, an array of arrays of its columns (NULL on PostgreSQL and
    '[]' on SQLite for no row; ordered by the named columns on PostgreSQL, in the query's order on
    SQLite). asyncpg hands the text over as it is: no Python object per value, which decoding rows
    of records (times, texts, integers) would make on every listing, unchanged or not."""
    rows = query.subquery()
    if not postgres:
        return select(func.json_group_array(func.json_array(*rows.c))).select_from(rows).scalar_subquery()
    row = func.json_build_array(*rows.c)
    ordered = aggregate_order_by(row, *(rows.c[name] for name in order)) if order else row
    return select(func.json_agg(ordered)).select_from(rows).scalar_subquery()


def _sqlite_all_three() -> Any:
    """SQLite: the three queries as one statement answering three texts, so a listing whose sources
    are unchanged compares three values, with no Python object made per row (the busy intervals as
    ``start,end;...`` in SQLite's stored UTC text). The intervals come in the order of the index on
    (doctor_id, ends_at, starts_at) the query is served by, which for a doctor's occupying
    appointments (never overlapping: the database refuses an overlap) is their order by start; no sort,
    which would cost as much as the rest of the statement. Any order expands to the same slots."""
    busy = _SQLITE_BUSY.statement.subquery()
    interval = busy.c.starts_at.op("||")(text("','")).op("||")(busy.c.ends_at)
    return select(
        _as_json(_SCHEDULE.statement, False),
        _as_json(_EXCEPTIONS.statement, False),
        select(func.group_concat(interval, text("';'"))).select_from(busy).scalar_subquery(),
    )


def _busy_of_sqlite_text(value: str | None) -> list[tuple[datetime, datetime]]:
    if not value:
        return []
    return [(read_instant(start), read_instant(end))
            for start, end in (interval.split(",") for interval in value.split(";"))]


# PostgreSQL: the three queries in one statement, so one round trip (asyncpg's work per statement on
# the event loop, and the database's per value, is what a listing costs there).
_ALL_THREE = PreparedQuery(select(
    _as_json(_SCHEDULE.statement, True),
    _as_json(_EXCEPTIONS.statement, True, "date"),
    _busy_as_bytes(),
))
_SQLITE_ALL_THREE = PreparedQuery(_sqlite_all_three())

# What a booking is checked against (BookableSources): the version first, then the schedule and the
# exceptions from a date on; on PostgreSQL one statement, so one snapshot.
_VERSION = PreparedQuery(select(func.coalesce(
    select(slot_source_versions.c.version).where(slot_source_versions.c.doctor_id == bindparam("doctor_id"))
    .scalar_subquery(), 0)))
_EXCEPTIONS_SINCE = PreparedQuery(
    select(schedule_exceptions.c.id, schedule_exceptions.c.date, schedule_exceptions.c.windows)
    .where(schedule_exceptions.c.doctor_id == bindparam("doctor_id"), schedule_exceptions.c.date >= bindparam("first"))
    .order_by(schedule_exceptions.c.date)
)
_BOOKABLE = PreparedQuery(select(
    _VERSION.statement.scalar_subquery(),
    _as_array(_SCHEDULE.statement),
    _as_array(_EXCEPTIONS_SINCE.statement, "date"),
))

# How many answers the read side keeps to answer again while their rows are unchanged (a few
# doctors' calendars being looked at; each is about the size of its slots' sources).
REUSED_ANSWERS = 64


class SqlAlchemySlotSourceQueries:
    """``reuse``: answer the very same ``SlotSources`` again while the statement returns the
    same values (the read side's; a unit of work's answers are its own). Comparing them costs far less
    than making the sources again, and lets ``ListSlots`` see by identity that nothing changed."""

    def __init__(self, reads: ReadRunner, dialect: str, *, reuse: bool = False) -> None:
        self._reads, self._dialect = reads, dialect
        self._answers: OrderedDict[tuple[int, date, date], tuple[tuple[Any, ...], SlotSources]] | None = (
            OrderedDict() if reuse else None)

    async def slot_sources(self, doctor_id: int, first: date, last: date, *, since: datetime,
                           until: datetime) -> SlotSources | None:
        if not storable(doctor_id):
            return None
        values = {"doctor_id": doctor_id, "first": self._date(first), "last": self._date(last),
                  "since": stored_instant(self._dialect, since), "until": stored_instant(self._dialect, until),
                  "ends_by": stored_instant(self._dialect, until + LONGEST_APPOINTMENT)}
        # One statement, three values: the schedule's and the exceptions' rows as JSON texts, the
        # busy intervals as bytes (PostgreSQL) or text (SQLite).
        ((schedule, exceptions, busy),) = await self._reads.rows(
            _ALL_THREE if self._dialect == "postgresql" else _SQLITE_ALL_THREE, values)
        if not schedule or schedule == "[]":
            return None
        if self._answers is None:
            return self._decoded(doctor_id, schedule, exceptions, busy)
        # The values as they came, with the busy span they cover: equal values, the same sources.
        found = (since, until, schedule, exceptions, busy)
        key = (doctor_id, first, last)
        answer = self._answers.get(key)
        if answer is not None and answer[0] == found:
            self._answers.move_to_end(key)
            return answer[1]
        sources = self._decoded(doctor_id, schedule, exceptions, busy)
        self._answers[key] = (found, sources)
        if len(self._answers) > REUSED_ANSWERS:
            self._answers.popitem(last=False)
        return sources

    def _decoded(self, doctor_id: int, schedule: str, exceptions: str | None, busy: Any) -> SlotSources:
        intervals = _busy_of_bytes(busy) if self._dialect == "postgresql" else _busy_of_sqlite_text(busy)
        return _sources(doctor_id, msgspec.json.decode(schedule), msgspec.json.decode(exceptions or "[]"), intervals)

    async def bookable(self, doctor_id: int, *, since: date) -> BookableSources | None:
        if not storable(doctor_id):
            return None
        values = {"doctor_id": doctor_id, "first": self._date(since)}
        if self._dialect == "postgresql":
            ((version, rows, exception_rows),) = await self._reads.rows(_BOOKABLE, values)
            rows, exception_rows = rows or [], exception_rows or []
        else:
            # The version before the rows: never newer than they are, so a booking checked against
            # rows newer than it is refused and checked again, never the other way round.
            version = await self._reads.value(_VERSION, values)
            rows = await self._reads.rows(_SCHEDULE, values)
            exception_rows = await self._reads.rows(_EXCEPTIONS_SINCE, values) if rows else []
        if not rows:
            return None
        sources = _sources(doctor_id, rows, exception_rows, [])
        return BookableSources(schedule=sources.schedule, windows=sources.windows, exceptions=sources.exceptions,
                               since=since, version=version)

    async def schedule(self, doctor_id: int) -> SlotSources | None:
        if not storable(doctor_id):
            return None
        rows = await self._reads.rows(_SCHEDULE, {"doctor_id": doctor_id})
        if not rows:
            return None
        windows = {time_id: _window(start, end) for *_, time_id, start, end in rows if time_id is not None}
        return SlotSources(schedule=_schedule_of(doctor_id, rows), windows=windows)

    async def exceptions(self, doctor_id: int) -> list[ScheduleException] | None:
        if not storable(doctor_id):
            return None
        rows = await self._reads.rows(_ALL_EXCEPTIONS, {"doctor_id": doctor_id})
        if not rows:
            return None
        return [ScheduleException(doctor_id=doctor_id, date=_read_date(on), windows=decode_windows(windows), id=row_id)
                for _, row_id, on, windows in rows if row_id is not None]

    def _date(self, value: date) -> Any:
        return value.isoformat() if self._dialect == "sqlite" else value


def _sources(doctor_id: int, rows: list[Any], exception_rows: list[Any], busy_rows: list[Any]) -> SlotSources:
    exceptions = [
        ScheduleException(doctor_id=doctor_id, date=_read_date(on), windows=decode_windows(windows), id=row_id)
        for row_id, on, windows in exception_rows
    ]
    busy = [BusyInterval(read_instant(start), read_instant(end)) for start, end in busy_rows]
    windows = {time_id: _window(start, end) for *_, time_id, start, end in rows if time_id is not None}
    return SlotSources(schedule=_schedule_of(doctor_id, rows), windows=windows, exceptions=exceptions, busy=busy)


def _schedule_of(doctor_id: int, rows: list[Any]) -> DoctorSchedule | None:
    _, timezone, slot_minutes, notice, horizon, *_ = rows[0]
    if timezone is None:
        return None
    rules = sorted({WeeklyRule(weekday, time_id) for _, _, _, _, _, weekday, time_id, *_ in rows
                    if weekday is not None})
    return DoctorSchedule(doctor_id=doctor_id, timezone=timezone, slot_minutes=slot_minutes,
                          min_notice_minutes=notice, horizon_days=horizon, rules=tuple(rules))


class SqlAlchemyScheduleRepository:
    """Core statements on the unit of work's session: a schedule is one row and its rules."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, doctor_id: int) -> DoctorSchedule | None:
        if not storable(doctor_id):
            return None
        row = (await self._session.execute(
            select(s.c.timezone, s.c.slot_minutes, s.c.min_notice_minutes, s.c.horizon_days)
            .where(s.c.doctor_id == doctor_id))).first()
        if row is None:
            return None
        rules = (await self._session.execute(
            select(r.c.weekday, r.c.available_time_id).where(r.c.doctor_id == doctor_id))).all()
        return DoctorSchedule(doctor_id=doctor_id, timezone=row[0], slot_minutes=row[1], min_notice_minutes=row[2],
                              horizon_days=row[3], rules=tuple(sorted(WeeklyRule(*rule) for rule in rules)))

    async def save(self, schedule: DoctorSchedule) -> None:
        values = {"timezone": schedule.timezone, "slot_minutes": schedule.slot_minutes,
                  "min_notice_minutes": schedule.min_notice_minutes, "horizon_days": schedule.horizon_days}
        changed = await self._session.execute(
            update(s).where(s.c.doctor_id == schedule.doctor_id).values(**values, version=s.c.version + 1))
        if changed.rowcount == 0:  # type: ignore[attr-defined]
            await self._session.execute(insert(s).values(doctor_id=schedule.doctor_id, **values))
        await self._session.execute(delete(r).where(r.c.doctor_id == schedule.doctor_id))
        if schedule.rules:
            await self._session.execute(insert(r), [
                {"doctor_id": schedule.doctor_id, "weekday": rule.weekday, "available_time_id": rule.time_id}
                for rule in schedule.rules])
        await flush(self._session)

    async def add_exception(self, exception: ScheduleException) -> None:
        result = await self._session.execute(
            insert(schedule_exceptions).values(doctor_id=exception.doctor_id, date=exception.date,
                                               windows=encode_windows(exception.windows))
            .returning(schedule_exceptions.c.id))
        exception.id = result.scalar_one()

    async def get_exception(self, doctor_id: int, exception_id: int) -> ScheduleException | None:
        if not (storable(doctor_id) and storable(exception_id)):
            return None
        e = schedule_exceptions
        row = (await self._session.execute(
            select(e.c.date, e.c.windows).where(and_(e.c.id == exception_id, e.c.doctor_id == doctor_id)))).first()
        if row is None:
            return None
        return ScheduleException(doctor_id=doctor_id, date=row[0], windows=decode_windows(row[1]), id=exception_id)

    async def delete_exception(self, exception: ScheduleException) -> None:
        await self._session.execute(delete(schedule_exceptions).where(schedule_exceptions.c.id == exception.id))
