"""SQLAlchemy appointments: the repository, and the list query that goes from rows to read models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, String, bindparam, cast, exists, false, func, insert, or_, select

from hospital.adapters.sqlalchemy.booking_statement import DeferredBooking, one_statement
from hospital.adapters.sqlalchemy.database_errors import breaks_a_foreign_key
from hospital.adapters.sqlalchemy.direct_reads import ReadRunner
from hospital.adapters.sqlalchemy.entity_table import VERSION, EntityTable, TransactionOwner
from hospital.adapters.sqlalchemy.integers import storable
from hospital.adapters.sqlalchemy.lost_commits import TRANSACTION_ID, current_transaction_id
from hospital.adapters.sqlalchemy.prepared import PreparedQuery, QueryShapes, bound
from hospital.adapters.sqlalchemy.schedules import read_instant, stored_instant
from hospital.adapters.sqlalchemy.tables.care import appointments as a
from hospital.adapters.sqlalchemy.tables.catalogue import doctor_available_times
from hospital.adapters.sqlalchemy.tables.versions import slot_source_versions
from hospital.adapters.sqlalchemy.types import UtcDateTime
from hospital.application.pagination import Page, PageRequest
from hospital.application.ports.appointments import (
    AppointmentRow,
    AppointmentScope,
    AppointmentWhen,
    BookingOutcome,
)
from hospital.domain.appointments import REMOVED_WHILE_BOOKING, Appointment
from hospital.domain.errors import ConflictError

_INSERTED = ("patient_id", "doctor_id", "time_id", "appointment_type", "status", "symptoms", "cancelled",
             "fhir_status", "starts_at", "ends_at", "cancellation_reason", "cancellation_note", "cancelled_by",
             "cancelled_at", "replaces")
# The row only if its doctor offers its time when the statement runs: the check and the insert are
# one statement, so no change to the doctor's times falls between them. (CASTs: PostgreSQL cannot
# infer a parameter's type from a bare SELECT list.)
_OFFERED = exists().where(doctor_available_times.c.doctor_id == bindparam("doctor_id"),
                          doctor_available_times.c.available_time_id == bindparam("time_id"))


def _cast_type(name: str) -> Any:
    # SQLite's CAST(... AS DATETIME) has numeric affinity: '2027-01-04 ...' would become 2027. The
    # instant is bound as the column's stored text already (stored_instant), so it stays text there.
    column_type = a.c[name].type
    return column_type.with_variant(String(), "sqlite") if isinstance(column_type, UtcDateTime) else column_type


_INSERT_IF_OFFERED = PreparedQuery(
    insert(a).from_select(_INSERTED, select(*(cast(bindparam(name), _cast_type(name)) for name in _INSERTED))
                          .where(_OFFERED))
    # Its transaction's id too, at no extra round trip: a COMMIT lost on its way is settled by it.
    .returning(a.c.id, current_transaction_id().label(TRANSACTION_ID))
)
# A dated booking: the row only if its doctor's slot sources are still at the version its slot was
# checked against (tables/versions.py, migration 0011), in the same statement as the insert.
_SOURCES_AT = (func.coalesce(select(slot_source_versions.c.version)
                             .where(slot_source_versions.c.doctor_id == bindparam("doctor_id"))
                             .scalar_subquery(), 0) == cast(bindparam("sources_version"), BigInteger))
_ROW_IF_SOURCES_AT = insert(a).from_select(
    _INSERTED, select(*(cast(bindparam(name), _cast_type(name)) for name in _INSERTED)).where(_SOURCES_AT))
_INSERT_IF_SOURCES_AT = PreparedQuery(
    _ROW_IF_SOURCES_AT.returning(a.c.id, current_transaction_id().label(TRANSACTION_ID)))
# PostgreSQL, the unit's one write: the same INSERT and its audit event, one statement at commit.
_BOOKED_WITH_EVENT = one_statement(_ROW_IF_SOURCES_AT.returning(a.c.id))
_BETWEEN = PreparedQuery(select(exists().where(a.c.patient_id == bindparam("patient_id"),
                                               a.c.doctor_id == bindparam("doctor_id"))))


def _inserted_values(appointment: Appointment, dialect: str) -> dict[str, Any]:
    def instant(value: datetime | None) -> Any:
        return None if value is None else stored_instant(dialect, value)

    return {
        "patient_id": appointment.patient_id, "doctor_id": appointment.doctor_id, "time_id": appointment.time_id,
        "appointment_type": str(appointment.appointment_type), "status": str(appointment.status),
        "symptoms": appointment.symptoms, "cancelled": bool(appointment.cancelled),
        "fhir_status": str(appointment.fhir_status), "starts_at": instant(appointment.starts_at),
        "ends_at": instant(appointment.ends_at), "cancellation_reason": appointment.cancellation_reason,
        "cancellation_note": appointment.cancellation_note, "cancelled_by": appointment.cancelled_by,
        "cancelled_at": instant(appointment.cancelled_at), "replaces": appointment.replaces,
    }


class SqlAlchemyAppointmentRepository(EntityTable[Appointment]):
    """Every change is one prepared statement in the unit's transaction (entity_table.py), a driver
    transaction when it is the unit's first: a dated booking is its INSERT if the doctor's slot
    sources are at the version its slot was checked against, whose overlap constraint (PostgreSQL's
    exclusion constraints, SQLite's triggers and partial unique index) refuses a double booking as
    it runs; a legacy booking (``book``) is the INSERT of a row only if its
    doctor offers its time, in the same statement."""

    def __init__(self, uow: TransactionOwner, reads: ReadRunner) -> None:
        super().__init__(uow, reads, Appointment, a)

    async def book_slot(self, appointment: Appointment, sources_version: object) -> bool:
        if not (storable(appointment.doctor_id) and isinstance(sources_version, int)):
            return False
        values = {**_inserted_values(appointment, self._uow.dialect.name), "sources_version": sources_version}

        def inserted(appointment_id: int) -> None:
            appointment.id = appointment_id
            setattr(appointment, VERSION, 1)  # the column's default: a save in this unit checks it

        # The unit's first write on PostgreSQL: held, and sent at commit with its event as one
        # statement (booking_statement.py); a refusal is then told by the commit.
        if self._uow.write_at_commit(DeferredBooking(_INSERT_IF_SOURCES_AT, values, _BOOKED_WITH_EVENT, inserted)):
            return True
        rows = await self._written(_INSERT_IF_SOURCES_AT, values)
        if not rows:
            return False
        inserted(rows[0][0])
        return True

    async def book(self, appointment: Appointment) -> BookingOutcome:
        if not (storable(appointment.doctor_id) and storable(appointment.time_id)):
            return BookingOutcome.TIME_NOT_OFFERED  # no such row can exist; PostgreSQL would refuse the parameter
        try:
            rows = await self._uow.write(_INSERT_IF_OFFERED, _inserted_values(appointment, self._uow.dialect.name))
        except Exception as error:
            # The doctor's time was there when the statement began, and then its doctor, or the
            # patient, was deleted by a transaction that committed first.
            if breaks_a_foreign_key(error):
                raise ConflictError(REMOVED_WHILE_BOOKING) from None
            raise
        if not rows:
            return BookingOutcome.TIME_NOT_OFFERED
        appointment.id = rows[0][0]
        setattr(appointment, VERSION, 1)  # the column's default: a save in this unit checks it
        return BookingOutcome.BOOKED

    async def exists_between(self, *, patient_id: int, doctor_id: int) -> bool:
        if not (storable(patient_id) and storable(doctor_id)):
            return False
        return bool(await self._reads.value(_BETWEEN, {"patient_id": patient_id, "doctor_id": doctor_id}))


_ANY_TIME = AppointmentWhen()
_ROW = (a.c.id, a.c.patient_id, a.c.doctor_id, a.c.appointment_type, a.c.status, a.c.symptoms, a.c.time_id,
        a.c.cancelled, a.c.starts_at, a.c.ends_at, a.c.fhir_status, a.c.cancellation_reason, a.c.cancelled_by,
        a.c.cancelled_at, a.c.replaces, a.c.replaced_by)


def _conditions(scoped: bool, scope_patient: bool, scope_doctor: bool, patient: bool,
                doctor: bool, status: bool = False, starts_from: bool = False,
                starts_before: bool = False) -> list[ColumnElement[bool]]:
    """Each scope part is an equality on the leading column of an (x_id, id) index, so a scoped page
    is an index range scan already in id order (or, for a doctor who is also a patient, two of them)."""
    conditions: list[ColumnElement[bool]] = []
    if scoped:
        parts = []
        if scope_patient:
            parts.append(a.c.patient_id == bindparam("scope_patient"))
        if scope_doctor:
            parts.append(a.c.doctor_id == bindparam("scope_doctor"))
        conditions.append(or_(*parts) if parts else false())
    if patient:
        conditions.append(a.c.patient_id == bindparam("patient_id"))
    if doctor:
        conditions.append(a.c.doctor_id == bindparam("doctor_id"))
    # No index of their own: a page is read in id order within the scope's index ranges anyway, and
    # NULL never compares, so a bound on starts_at leaves the undated appointments out.
    if status:
        conditions.append(a.c.fhir_status == bindparam("status"))
    if starts_from:
        conditions.append(a.c.starts_at >= bindparam("starts_from"))
    if starts_before:
        conditions.append(a.c.starts_at < bindparam("starts_before"))
    return conditions


_COUNT = QueryShapes(lambda *shape: select(func.count()).select_from(a).where(*_conditions(*shape)))
_PAGE = QueryShapes(
    lambda *shape: select(*_ROW).where(*_conditions(*shape)).order_by(a.c.id)
    .limit(bindparam("limit")).offset(bindparam("offset"))
)

_ONE = QueryShapes(lambda *shape: select(*_ROW).where(a.c.id == bindparam("appointment_id"), *_conditions(*shape)))


def _shape(scope: AppointmentScope | None, patient_id: int | None, doctor_id: int | None,
           when: AppointmentWhen | None = None) -> tuple[tuple[bool, ...], dict[str, Any]]:
    when = when or _ANY_TIME
    shape, values = bound(
        scope_patient=scope.patient_id if scope else None, scope_doctor=scope.doctor_id if scope else None,
        patient_id=patient_id, doctor_id=doctor_id, status=when.status,
        starts_from=when.starts_from, starts_before=when.starts_before,
    )
    return (scope is not None, *shape), values


def page_query(page: PageRequest, scope: AppointmentScope | None, patient_id: int | None = None,
               doctor_id: int | None = None) -> tuple[PreparedQuery, dict[str, int]]:
    shape, values = _shape(scope, patient_id, doctor_id)
    return _PAGE(*shape), {**values, "offset": page.offset, "limit": page.limit}


def _instant(value: Any) -> datetime | None:
    return None if value is None else read_instant(value)


def _row(row: Any) -> AppointmentRow:
    (row_id, patient, doctor, appointment_type, status, symptoms, time_id, cancelled, start, end, fhir_status,
     reason, cancelled_by, cancelled_at, replaces, replaced_by) = row
    return AppointmentRow(
        id=row_id, patient=patient, doctor=doctor, appointment_type=appointment_type,
        appointment_status=status, symptoms=symptoms, time=time_id, cancel=bool(cancelled),
        start=_instant(start), end=_instant(end), status=fhir_status, cancellation_reason=reason,
        cancelled_by=cancelled_by, cancelled_at=_instant(cancelled_at), replaces=replaces,
        replaced_by=replaced_by,
    )


class SqlAlchemyAppointmentQueries:
    """Two statements per page whatever its size: the count and the page."""

    def __init__(self, reads: ReadRunner) -> None:
        self._reads = reads

    async def get(self, appointment_id: int, *, scope: AppointmentScope | None) -> AppointmentRow | None:
        if not storable(appointment_id):
            return None
        shape, values = _shape(scope, None, None)
        row = await self._reads.first(_ONE(*shape), {**values, "appointment_id": appointment_id})
        return None if row is None else _row(row)

    async def list(self, *, page: PageRequest, scope: AppointmentScope | None,
                   patient_id: int | None = None, doctor_id: int | None = None,
                   when: AppointmentWhen | None = None) -> Page[AppointmentRow]:
        if not all(storable(wanted) for wanted in (patient_id, doctor_id) if wanted is not None):
            return Page([], 0, page)  # an id no column can hold matches nothing
        shape, values = _shape(scope, patient_id, doctor_id, when)
        total, rows = await self._reads.counted_page(_COUNT(*shape), _PAGE(*shape), values, page)
        return Page([_row(row) for row in rows], total, page)
