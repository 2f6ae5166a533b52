"""The audit log in SQL (tables/audit.py): a unit of work's events, and reading, verifying and pruning.

A unit of work's events (``SqlAlchemyAuditTrail``) are INSERTs in its own transaction, whichever it
is (the session's, or a driver transaction for a booking: ``SqlAlchemyUnitOfWork.write``), sealed on
a lane the unit holds until its transaction ends (adapters/audit_lanes.py). On a PostgreSQL driver
transaction they are one statement run in the COMMIT's round trip (``before_commit``,
driver_transactions.py), its one argument the events as a JSON document; on a SQLite one they are
the driver's own SQL on plain tuples, as a batch of buffered reads is, inserted with the rest of the
group's just before the COMMIT that holds the unit (``insert_at_commit``, sqlite_writer.py). The event
of a booking the unit holds for its commit (booking_statement.py) is opened on the lane around the
appointment's id instead, and written by the booking's own statement.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import msgspec
from sqlalchemy import BigInteger, ColumnElement, and_, bindparam, cast, delete, exists, func, insert, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hospital.adapters.audit_lanes import AuditLane, AuditLanes
from hospital.adapters.sqlalchemy.integers import storable
from hospital.adapters.sqlalchemy.lost_commits import TRANSACTION_ID
from hospital.adapters.sqlalchemy.prepared import PreparedQuery, decoded_list, list_of
from hospital.adapters.sqlalchemy.schedules import sqlite_instant_text
from hospital.adapters.sqlalchemy.sqlite_writer import LoopSqliteConnection
from hospital.adapters.sqlalchemy.tables.audit import audit_event_patients as p
from hospital.adapters.sqlalchemy.tables.audit import audit_events as e
from hospital.adapters.sqlalchemy.tables.audit import audit_prune_permits
from hospital.application.pagination import Page, PageRequest
from hospital.application.ports.audit import AuditFilter
from hospital.application.ports.clock import Clock
from hospital.domain.audit import (
    ActorRole,
    AuditAction,
    AuditEntry,
    AuditEvent,
    AuditOutcome,
    ChainVerifier,
    RequestContext,
    ResourceType,
    VerificationReport,
)

_COLUMNS = ("id", "recorded_at", "chain", "seq", "prev_hash", "hash", "action", "resource_type", "resource_id",
            "outcome", "actor_user_id", "actor_role", "username", "filters", "client_address", "request_id",
            "user_agent")
# RETURNING: the unit of work's ``write`` answers rows.
_INSERT_EVENT = PreparedQuery(insert(e).values({name: bindparam(name) for name in _COLUMNS}).returning(e.c.seq))
_INSERT_PATIENT = PreparedQuery(insert(p).values(patient_id=bindparam("patient_id"), event_id=bindparam("event_id"))
                                .returning(p.c.patient_id))

# A batch (the buffered reads), as the driver's own SQL. SQLite: one executemany per table of plain
# tuples, run on the writer's thread. PostgreSQL: one statement for the whole batch, its events as
# one JSON parameter (an executemany runs each row as a statement of its own there, and asyncpg's
# encoding of seventeen arrays cost more event-loop time than msgspec's of one document); the
# batch's time and chain, the same for every event of it, are parameters of their own.
_SQLITE_BATCH_EVENTS = (f"INSERT INTO audit_events ({', '.join(_COLUMNS)}) "  # noqa: S608 - fixed names
                        f"VALUES ({', '.join('?' for _ in _COLUMNS)})")
_SQLITE_BATCH_LINKS = "INSERT INTO audit_event_patients (patient_id, event_id) VALUES (?, ?)"
# A batch of buffered reads on SQLite: two statements, each reading the whole batch from one JSON
# array (``_sqlite_batch``: a row of ``_COLUMNS``, then the event's patient ids). They run on the
# writer's thread, and sqlite3 lets go of the GIL around each step of a statement and takes it back
# after: an executemany takes it back once per row, and with the loop busy each take is a forced
# switch that costs the loop (under wrk, ~8 us of loop CPU a read and a futex wait every few ms; the
# writer's thread ~1,400-2,400 waits a second). One statement a table takes it back twice per batch.
_SQLITE_JSON_FIELDS = ", ".join(f"json_extract(value, '$[{n}]')" for n in range(len(_COLUMNS)))
_SQLITE_JSON_EVENTS = (f"INSERT INTO audit_events ({', '.join(_COLUMNS)}) "  # noqa: S608 - fixed names
                       f"SELECT {_SQLITE_JSON_FIELDS} FROM json_each(?)")
_SQLITE_JSON_LINKS = ("INSERT INTO audit_event_patients (patient_id, event_id) "  # noqa: S608 - fixed names
                      "SELECT patient.value, json_extract(event.value, '$[0]') FROM json_each(?) AS event, "
                      f"json_each(event.value, '$[{len(_COLUMNS)}]') AS patient")
_PG_BATCH_FIELDS = ("id", "seq", "prev_hash", "hash", "action", "resource_type", "resource_id", "outcome",
                    "actor_user_id", "actor_role", "username", "filters", "client_address", "request_id",
                    "user_agent")  # then the patient ids, as an array
_PG_BATCH_TYPES = {"seq": "bigint", "resource_id": "bigint", "actor_user_id": "bigint"}


# A unit's own events (``_pg_unit_events``) carry their time and chain in each row, after the patients.
_PG_UNIT_TIME, _PG_UNIT_CHAIN = len(_PG_BATCH_FIELDS) + 1, len(_PG_BATCH_FIELDS) + 2


def _pg_batch_column(name: str, time: str, chain: str) -> str:
    if name == "recorded_at":
        return time
    if name == "chain":
        return chain
    field = f"e->>{_PG_BATCH_FIELDS.index(name)}"
    return f"CAST({field} AS {_PG_BATCH_TYPES[name]})" if name in _PG_BATCH_TYPES else field


def _pg_events(document: str, time: str, chain: str) -> tuple[str, str]:
    """The CTE of the events of the JSON array ``document`` and the INSERT of their patients' links."""
    return (
        f"WITH batch AS (SELECT value AS e FROM jsonb_array_elements(CAST({document} AS jsonb))), "  # noqa: S608
        f"events AS (INSERT INTO audit_events ({', '.join(_COLUMNS)}) "
        f"SELECT {', '.join(_pg_batch_column(name, time, chain) for name in _COLUMNS)} FROM batch)",
        "INSERT INTO audit_event_patients (patient_id, event_id) "  # noqa: S608 (column names and a number)
        f"SELECT CAST(patient AS bigint), e->>0 FROM batch, jsonb_array_elements_text(e->{len(_PG_BATCH_FIELDS)}) "
        "AS patient",
    )


# A batch of buffered reads, run in a driver transaction (BEGIN, this, COMMIT on the direct reader's
# asyncpg pool): its last column is the transaction's id, which settles a COMMIT lost on its way
# (lost_commits.py). pg_current_xact_id(), not the _if_assigned form: the main SELECT may run before
# the CTEs' inserts.
_PG_BATCH_EVENTS, _PG_BATCH_LINKS = _pg_events(":events", "CAST(:recorded_at AS timestamptz)", "CAST(:chain AS text)")
_PG_BATCH = PreparedQuery(text(
    f"{_PG_BATCH_EVENTS}, links AS ({_PG_BATCH_LINKS}) "
    f"SELECT CAST(CAST(pg_current_xact_id() AS text) AS bigint) AS {TRANSACTION_ID}"
))
# A unit's events on its driver transaction, run in its COMMIT's round trip (driver_transactions.py):
# one text parameter.
_PG_UNIT_EVENTS = " ".join(_pg_events("$1", f"CAST(e->>{_PG_UNIT_TIME} AS timestamptz)", f"e->>{_PG_UNIT_CHAIN}"))
_JSON = msgspec.json.Encoder()


def _event_with_patients() -> PreparedQuery:
    """PostgreSQL: the event and its patients in one statement (one round trip on a change's path)."""
    event = insert(e).values({name: bindparam(name) for name in _COLUMNS}).returning(e.c.id).cte("event")
    ids = (func.unnest(cast(bindparam("patient_ids"), ARRAY(BigInteger))).table_valued("value")
           .render_derived(name="ids"))
    return PreparedQuery(insert(p).from_select(["patient_id", "event_id"], select(ids.c.value, event.c.id))
                         .returning(p.c.patient_id).add_cte(event))


_INSERT_EVENT_WITH_PATIENTS = _event_with_patients()


def event_row(event: AuditEvent, dialect_name: str) -> dict[str, Any]:
    """The event's columns; the time as the dialect's driver takes it (UtcDateTime's conversion)."""
    entry, context = event.entry, event.entry.context
    return {
        "id": event.id, "recorded_at": _bind_time(event.recorded_at, dialect_name), "chain": event.chain,
        "seq": event.seq, "prev_hash": event.prev_hash, "hash": event.hash, "action": str(entry.action),
        "resource_type": str(entry.resource_type), "resource_id": entry.resource_id,
        "outcome": str(entry.outcome), "actor_user_id": entry.actor_user_id, "actor_role": str(entry.actor_role),
        "username": entry.username, "filters": filters_text(entry.filters),
        "client_address": context.client_address, "request_id": context.request_id,
        "user_agent": context.user_agent,
    }


def filters_text(filters: tuple[tuple[str, str], ...]) -> str:
    return json.dumps([list(pair) for pair in filters]) if filters else "[]"


def _bind_time(moment: datetime, dialect_name: str) -> Any:
    if dialect_name == "sqlite":
        # As SQLAlchemy's SQLite DATETIME stores it (UtcDateTime: naive UTC), so reads parse it back.
        return _sqlite_time(moment)
    return moment


@functools.lru_cache(maxsize=1)  # a batch's events share one time
def _sqlite_time(moment: datetime) -> str:
    """The stored text of an event's time (UTC)."""
    return sqlite_instant_text(moment.replace(tzinfo=None))


def _sqlite_rows(events: Sequence[AuditEvent]) -> list[tuple[Any, ...]]:
    """A batch's rows for ``_SQLITE_BATCH_EVENTS``."""
    rows = []
    for event in events:
        entry, context = event.entry, event.entry.context
        rows.append((event.id, _sqlite_time(event.recorded_at), event.chain, event.seq, event.prev_hash,
                     event.hash, str(entry.action), str(entry.resource_type), entry.resource_id, str(entry.outcome),
                     entry.actor_user_id, str(entry.actor_role), entry.username, filters_text(entry.filters),
                     context.client_address, context.request_id, context.user_agent))
    return rows


def _sqlite_batch(events: Sequence[AuditEvent]) -> str:
    """A batch's events for ``_SQLITE_JSON_EVENTS`` and ``_SQLITE_JSON_LINKS``: a JSON array of rows
    of ``_COLUMNS`` and the patient ids (the enums encode as their values, as ``str`` gives them)."""
    return _JSON.encode([
        (event.id, _sqlite_time(event.recorded_at), event.chain, event.seq, event.prev_hash, event.hash,
         entry.action, entry.resource_type, entry.resource_id, entry.outcome, entry.actor_user_id, entry.actor_role,
         entry.username, filters_text(entry.filters), context.client_address, context.request_id,
         context.user_agent, entry.patient_ids)
        for event in events for entry in (event.entry,) for context in (entry.context,)
    ]).decode()


def _pg_batch(events: Sequence[AuditEvent]) -> str:
    """A batch's events for ``_PG_BATCH``: a JSON array of ``_PG_BATCH_FIELDS`` and the patient ids."""
    return _JSON.encode([_pg_row(event) for event in events]).decode()


def _pg_row(event: AuditEvent) -> tuple[Any, ...]:
    entry, context = event.entry, event.entry.context
    return (event.id, event.seq, event.prev_hash, event.hash, str(entry.action), str(entry.resource_type),
            entry.resource_id, str(entry.outcome), entry.actor_user_id, str(entry.actor_role), entry.username,
            filters_text(entry.filters), context.client_address, context.request_id, context.user_agent,
            entry.patient_ids)


def _pg_unit_events(events: Sequence[AuditEvent]) -> str:
    """A unit's events for ``_PG_UNIT_EVENTS``: the batch's JSON rows, each with its time and chain
    (a unit's appends are sealed at their own times). The time is written with its offset (UTC when
    it has none, as asyncpg binds a naive time to a timestamptz)."""
    return _JSON.encode([(*_pg_row(event), _aware(event.recorded_at).isoformat(), event.chain)
                         for event in events]).decode()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def event_of(row: Mapping[str, Any], patient_ids: Sequence[int]) -> AuditEvent:
    entry = AuditEntry(
        action=AuditAction(row["action"]), resource_type=ResourceType(row["resource_type"]),
        outcome=AuditOutcome(row["outcome"]), resource_id=row["resource_id"],
        patient_ids=tuple(sorted(int(i) for i in patient_ids)), actor_user_id=row["actor_user_id"],
        actor_role=ActorRole(row["actor_role"]), username=row["username"],
        filters=tuple((str(name), str(value)) for name, value in json.loads(row["filters"])),
        context=RequestContext(row["client_address"], row["request_id"], row["user_agent"]),
    )
    return AuditEvent(id=row["id"], recorded_at=row["recorded_at"], chain=row["chain"], seq=row["seq"],
                      prev_hash=row["prev_hash"], hash=row["hash"], entry=entry)


def _insert_batch(sqlite: sqlite3.Connection, document: str) -> None:
    sqlite.execute(_SQLITE_JSON_EVENTS, (document,))
    sqlite.execute(_SQLITE_JSON_LINKS, (document,))


class TransactionOwner(Protocol):
    """The unit of work (unit_of_work.py), as the trail uses it."""

    @property
    def session(self) -> AsyncSession: ...

    @property
    def current_driver_transaction(self) -> Any: ...

    @property
    def dialect_name(self) -> str: ...

    @property
    def held_booking(self) -> Any: ...

    async def write(self, query: PreparedQuery, parameters: Mapping[str, Any]) -> list[Any]: ...

    async def driver_transaction(self) -> Any: ...

    async def send_held(self) -> None: ...


class SqlAlchemyAuditTrail:
    """``uow.audit``: events written in the unit's transaction, on a lane held until it ends (``end``)."""

    def __init__(self, uow: TransactionOwner, lanes: AuditLanes, clock: Clock) -> None:
        self._uow, self._lanes, self._clock = uow, lanes, clock
        self._lane: AuditLane | None = None

    def _sealed(self, entries: Sequence[AuditEntry]) -> list[AuditEvent]:
        if self._lane is None:
            self._lane = self._lanes.lease()
        return self._lane.seal_many(entries, self._clock.now())

    async def append(self, entry: AuditEntry) -> AuditEvent:
        (event,) = await self.append_many([entry])
        return event

    async def append_many(self, entries: Sequence[AuditEntry]) -> list[AuditEvent]:
        booking = self._uow.held_booking
        if booking is not None:
            if len(entries) == 1 and booking.names(entries[0]):
                return [self._opened(booking, entries[0])]
            await self._uow.send_held()  # an event of something else: the booking goes first, alone
        events = self._sealed(entries)
        driver = self._uow.current_driver_transaction
        if driver is not None and driver.dialect.name == "postgresql":
            # In the COMMIT's round trip: the change and its events commit together or not at all,
            # at no round trip more than the change alone (driver_transactions.py).
            await driver.before_commit(_PG_UNIT_EVENTS, _pg_unit_events(events))
            return events
        if driver is not None:
            # A SQLite driver transaction (a booking's): the batch's SQL and plain tuples, as below,
            # inserted with the rest of the group's just before the COMMIT that holds the unit, on
            # the writer's thread (sqlite_writer.py: inside the unit's savepoint they cost the loop's
            # thread ~2x more; nothing reads them before).
            links = [(pid, event.id) for event in events for pid in event.entry.patient_ids]
            driver.insert_at_commit(((_SQLITE_BATCH_EVENTS, _sqlite_rows(events)), (_SQLITE_BATCH_LINKS, links)))
            return events
        if len(events) == 1:
            for event in events:
                await self._write_one(event)
            return events
        # A batch (the buffered reads): the driver's SQL and plain values (SQLAlchemy's per-row
        # parameter processing would cost more than the inserts themselves).
        if self._uow.dialect_name == "postgresql":
            await self._uow.write(_PG_BATCH, {"events": _pg_batch(events), "recorded_at": events[0].recorded_at,
                                              "chain": events[0].chain})
            return events
        document = _sqlite_batch(events)
        driver = await self._uow.driver_transaction()
        if driver is not None:
            # The process's SQLite writer, in a driver transaction of the batch's own: the session's
            # connection, BEGIN and COMMIT through SQLAlchemy cost ~1 ms of CPU per batch (~2 us per
            # buffered read); the rows go on the writer's thread, as below.
            await driver.run_on_thread(_insert_batch, document)
            return events
        connection = await self._uow.session.connection()
        driver = (await connection.get_raw_connection()).driver_connection
        if isinstance(driver, LoopSqliteConnection):
            # The process's SQLite writer runs statements on the loop's thread: a batch's inserts
            # (hundreds of rows, each with its indexes) would stall every request meanwhile.
            await driver.run_on_thread(_insert_batch, driver.writer.sqlite, document)
            return events
        await connection.exec_driver_sql(_SQLITE_JSON_EVENTS, (document,))
        await connection.exec_driver_sql(_SQLITE_JSON_LINKS, (document,))
        return events

    def _opened(self, booking: Any, entry: AuditEntry) -> AuditEvent:
        """The held booking's event (booking_statement.py), opened on the unit's lane around the id
        its INSERT will give: the statement hashes it at commit. Returned as it will be sealed but
        for the id and hash, which only the commit learns (empty until then)."""
        if self._lane is None:
            self._lane = self._lanes.lease()
        opened = self._lane.open(entry, self._clock.now())
        booking.opened = (self._lane, opened)
        return AuditEvent(id=opened.id, recorded_at=opened.recorded_at, chain=opened.chain, seq=opened.seq,
                          prev_hash=opened.prev_hash, hash="", entry=entry)

    async def _write_one(self, event: AuditEvent) -> None:
        connection = await self._uow.session.connection()  # the session's transaction
        dialect = connection.dialect.name
        if dialect == "postgresql":
            await self._uow.write(_INSERT_EVENT_WITH_PATIENTS,
                                  {**event_row(event, dialect), "patient_ids": list(event.entry.patient_ids)})
            return
        writer = (await connection.get_raw_connection()).driver_connection
        if isinstance(writer, LoopSqliteConnection):
            # As on a SQLite driver transaction (``append_many``): inserted with the group's just
            # before the COMMIT that holds the unit, not as two statements through the session.
            writer.insert_at_commit(_SQLITE_BATCH_EVENTS, _sqlite_rows((event,)))
            writer.insert_at_commit(_SQLITE_BATCH_LINKS, [(pid, event.id) for pid in event.entry.patient_ids])
            return
        # SQLite runs in process: a statement more costs microseconds, not a round trip.
        await self._uow.write(_INSERT_EVENT, event_row(event, dialect))
        for patient_id in event.entry.patient_ids:
            await self._uow.write(_INSERT_PATIENT, {"patient_id": patient_id, "event_id": event.id})

    def end(self, *, committed: bool | None) -> None:
        """The unit's transaction ended: committed, rolled back, or with an unknown outcome (None)."""
        lane, self._lane = self._lane, None
        if lane is not None:
            self._lanes.release(lane, committed=committed)


_VERIFY_BATCH = 2000


def _patients_of(event_id: ColumnElement[Any]) -> Any:
    return list_of(select(p.c.patient_id).where(p.c.event_id == event_id).order_by(p.c.patient_id))


def _event_columns() -> list[Any]:
    return [*(e.c[name] for name in _COLUMNS), _patients_of(e.c.id).label("patient_ids")]


def _event_from(row: Any) -> AuditEvent:
    mapping = dict(row._mapping)
    return event_of(mapping, decoded_list(mapping.pop("patient_ids") or []))


class SqlAlchemyAuditEvents:
    """Reading, verifying and pruning the log, each in short transactions of its own."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    def _conditions(self, where: AuditFilter) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if where.patient_id is not None:
            conditions.append(exists().where(p.c.event_id == e.c.id, p.c.patient_id == where.patient_id))
        if where.user_id is not None:
            conditions.append(e.c.actor_user_id == where.user_id)
        if where.action is not None:
            conditions.append(e.c.action == str(where.action))
        if where.outcome is not None:
            conditions.append(e.c.outcome == str(where.outcome))
        if where.since is not None:
            conditions.append(e.c.recorded_at >= where.since)
        if where.until is not None:
            conditions.append(e.c.recorded_at < where.until)
        return conditions

    async def list(self, *, page: PageRequest, where: AuditFilter) -> Page[AuditEvent]:
        if not all(storable(value) for value in (where.patient_id, where.user_id) if value is not None):
            return Page(items=[], total=0, request=page)  # no patient or user has such an id
        conditions = self._conditions(where)
        async with self._engine.connect() as connection:
            total = (await connection.execute(
                select(func.count()).select_from(e).where(and_(True, *conditions)))).scalar_one()
            rows = [] if page.offset >= total else (await connection.execute(
                select(*_event_columns()).where(and_(True, *conditions))
                .order_by(e.c.recorded_at.desc(), e.c.id.desc()).limit(page.limit).offset(page.offset)
            )).all()
        return Page(items=[_event_from(row) for row in rows], total=total, request=page)

    async def verify(self) -> VerificationReport:
        """Walked in (chain, seq) order in batches, each its own short read: the log is only appended
        to, and pruned by whole chains, so batches read at different moments still show each chain as
        a prefix of what it is, which verifies if the chain does."""
        verifier = ChainVerifier()
        after: tuple[str, int] | None = None
        while True:
            query = select(*_event_columns()).order_by(e.c.chain, e.c.seq).limit(_VERIFY_BATCH)
            if after is not None:
                query = query.where((e.c.chain > after[0]) | ((e.c.chain == after[0]) & (e.c.seq > after[1])))
            async with self._engine.connect() as connection:
                rows = (await connection.execute(query)).all()
            for row in rows:
                verifier.add(_event_from(row))
            if len(rows) < _VERIFY_BATCH:
                return verifier.report()
            after = (rows[-1].chain, rows[-1].seq)

    async def prune(self, *, before: datetime) -> int:
        """Whole chains whose newest event is older than ``before``, in one transaction that holds a
        prune permit (the triggers refuse any other DELETE: migration 0006)."""
        old_chains = select(e.c.chain).group_by(e.c.chain).having(func.max(e.c.recorded_at) < before)
        old_events = select(e.c.id).where(e.c.chain.in_(old_chains.scalar_subquery()))
        async with self._engine.begin() as connection:
            await connection.execute(insert(audit_prune_permits).values(id=1))
            await connection.execute(delete(p).where(p.c.event_id.in_(old_events.scalar_subquery())))
            deleted = (await connection.execute(delete(e).where(e.c.chain.in_(old_chains.scalar_subquery())))).rowcount
            await connection.execute(delete(audit_prune_permits))
        return int(deleted or 0)

    async def all_events(self) -> Sequence[AuditEvent]:
        async with self._engine.connect() as connection:
            rows = (await connection.execute(select(*_event_columns()).order_by(e.c.chain, e.c.seq))).all()
        return [_event_from(row) for row in rows]
