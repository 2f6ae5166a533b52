"""What a database failure means for the request, decided in one place for every path: the ORM
session's flushes and commits, the direct reads (direct_reads.py) and the driver transactions
(driver_transactions.py), raised through SQLAlchemy or by the drivers (sqlite3, asyncpg) themselves.

- a unique or exclusion constraint, broken at a flush or at COMMIT: the refusal ``REFUSALS``
  names for it, the same the use case's own check raises (400);
- a foreign key (a row referred to was deleted meanwhile): ``ConflictError(REFERENCE_REMOVED)`` (400);
- a check constraint: ``ValidationError`` (400);
- a stale version (an UPDATE or DELETE that matched no row: StaleDataError), a deadlock, a
  serialization failure, a doctor's link row written twice: ``ConcurrentChangeError``, which the
  command's retry (application/retry.py) runs again from its load: then 404 for a row that is
  gone, 409 if it keeps losing;
- a connection that worked was lost (the server ended the session) before the COMMIT was sent:
  ``ConnectionLostError``, which the same retry runs again on a new connection (the session's end
  rolled the work back); lost during the COMMIT, the units of work ask PostgreSQL what became of
  the transaction (lost_commits.py), and raise ``CommitOutcomeUnknownError`` when it cannot say;
- the database is not there: ``ServiceUnavailableError`` (503);
- anything else (a missing column, a bug): unchanged, logged with its stack (500).

"Not there", PostgreSQL: connection exceptions (08), shutdown or start-up (57P01-57P03), too many
connections (53), the database or a table missing (3D000, 42P01: not created or not migrated yet),
and asyncpg's client-side faults of a connection the server dropped. SQLite: busy, locked and I/O
errors of the file only (a missing table there is a deployment bug, not an outage).

The messages of these errors carry the values that clashed (a username, an email, a phone): the
translations below never copy them, and the unit of work raises the translation ``from None``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from sqlalchemy import Column, Index, PrimaryKeyConstraint, Table, UniqueConstraint
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from hospital.adapters.sqlalchemy.tables import metadata
from hospital.adapters.sqlalchemy.tables.scheduling import DOCTOR_OVERLAP, DOCTOR_START, PATIENT_OVERLAP
from hospital.application.errors import ConcurrentChangeError, ConnectionLostError, ServiceUnavailableError
from hospital.application.ports.catalogue import DuplicateDoctorError, DuplicateSlugError
from hospital.application.ports.idempotency import KeyInUseError
from hospital.domain.doctor_schedules import DuplicateExceptionError
from hospital.domain.errors import ClashError, ConflictError, DomainError, ValidationError
from hospital.domain.patients import ALREADY_A_PATIENT, DUPLICATE_PHONE
from hospital.domain.profiles import PROFILE_EXISTS
from hospital.domain.reviews import AlreadyReviewedError
from hospital.domain.slots import PATIENT_BUSY, SLOT_TAKEN
from hospital.domain.users import username_taken

REFERENCE_REMOVED = "Something this request refers to was removed by another request; reload it and try again."

# Unique and exclusion constraints and unique indexes, by name, and what a violation of each means
# (a violation of one not named here: ConflictError's "This object already exists.").
REFUSALS: dict[str, Callable[[], DomainError]] = {
    "uq_users_username": username_taken,
    "uq_users_username_lower": username_taken,
    "uq_user_profiles_user_id": lambda: ConflictError(PROFILE_EXISTS),
    "uq_patients_user_id": lambda: ConflictError(ALREADY_A_PATIENT),
    "uq_patients_phone": lambda: ConflictError.field("phone", DUPLICATE_PHONE),
    "uq_doctors_user_id": DuplicateDoctorError,
    "uq_designations_slug": lambda: DuplicateSlugError("designation"),
    "uq_specialisations_slug": lambda: DuplicateSlugError("specialisation"),
    "uq_reviews_reviewer_id_doctor_id": AlreadyReviewedError,
    # A doctor's links are written by difference after the doctor's versioned UPDATE, which
    # serialises them; a clash here is two saves that crossed anyway: re-run.
    "pk_doctor_designations": ConcurrentChangeError,
    "pk_doctor_specialisations": ConcurrentChangeError,
    "pk_doctor_available_times": ConcurrentChangeError,
    # Dated scheduling (migration 0005): PostgreSQL's exclusion constraints (23P01), SQLite's triggers
    # (which abort with the constraint's name) and the partial unique index beside them.
    DOCTOR_OVERLAP: lambda: ClashError.field("start", SLOT_TAKEN),
    DOCTOR_START: lambda: ClashError.field("start", SLOT_TAKEN),
    PATIENT_OVERLAP: lambda: ClashError.field("start", PATIENT_BUSY),
    "uq_schedule_exceptions_doctor_id": DuplicateExceptionError,
    # A schedule is its row and its rules, replaced whole: two saves that crossed: re-run.
    "pk_doctor_schedules": ConcurrentChangeError,
    "pk_schedule_rules": ConcurrentChangeError,
    # Another request with the same Idempotency-Key committed first: this one answers what it answered.
    "pk_idempotency_records": KeyInUseError,
}
# SQLite's triggers raise with the name of the constraint they stand for as the whole message.
_SQLITE_TRIGGER_REFUSALS = frozenset({DOCTOR_OVERLAP, PATIENT_OVERLAP})

_POSTGRES_UNAVAILABLE = ("08", "53", "57P01", "57P02", "57P03", "3D000", "42P01")
# serialization failure, deadlock detected, a row lock not granted within lock_timeout (direct_reads.py)
_POSTGRES_LOST_RACE = ("40001", "40P01", "55P03")
_UNIQUE, _EXCLUSION, _FOREIGN_KEY, _CHECK = "23505", "23P01", "23503", "23514"
_SQLITE_UNAVAILABLE = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL,
                       sqlite3.SQLITE_CANTOPEN}
# SQLite's own words for those codes, for errors that come without the code.
_SQLITE_UNAVAILABLE_WORDS = ("database is locked", "is busy", "disk i/o error", "database or disk is full",
                             "unable to open database file")


def _sqlite_signatures() -> dict[str, str]:
    """SQLite names the columns of a broken unique constraint ("UNIQUE constraint failed: t.a, t.b"),
    or the index when it is on an expression ("... failed: index 'name'"): each, by constraint name."""
    signatures = {}
    for table in metadata.tables.values():
        assert isinstance(table, Table)
        for constraint in table.constraints:
            if isinstance(constraint, UniqueConstraint | PrimaryKeyConstraint) and constraint.name:
                columns = ", ".join(f"{table.name}.{column.name}" for column in constraint.columns)
                signatures[columns] = str(constraint.name)
        for index in table.indexes:
            if isinstance(index, Index) and index.unique and index.name:
                signatures[f"index '{index.name}'"] = str(index.name)
                if all(isinstance(expression, Column) for expression in index.expressions):
                    columns = ", ".join(f"{table.name}.{column.name}" for column in index.columns)
                    signatures.setdefault(columns, str(index.name))
    return signatures


_SQLITE_SIGNATURES = _sqlite_signatures()


def _driver_error(error: BaseException) -> BaseException:
    """The driver's own exception: asyncpg's behind SQLAlchemy's adapter, sqlite3's as it is."""
    if isinstance(error, DBAPIError) and error.orig is not None:
        error = error.orig
    cause = error.__cause__
    # SQLAlchemy's asyncpg adapter raises its own class from asyncpg's, which has the details.
    if cause is not None and type(cause).__module__.startswith("asyncpg"):
        return cause
    return error


def _is_asyncpg(error: BaseException) -> bool:
    return type(error).__module__.startswith("asyncpg")


def _sqlstate(error: BaseException) -> str:
    return getattr(error, "sqlstate", None) or ""


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot be reached or used right now (503, try again)."""
    if isinstance(error, PoolTimeoutError | TimeoutError | ConnectionError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    driver = _driver_error(error)
    if isinstance(driver, sqlite3.Error):
        return _sqlite_unavailable(driver)
    if _sqlstate(driver).startswith(_POSTGRES_UNAVAILABLE):
        return True
    if _is_asyncpg(driver):
        return _asyncpg_connection_fault(driver)
    # A socket that failed under the driver: refused, reset, unreachable.
    return isinstance(driver, OSError)


def _sqlite_unavailable(error: sqlite3.Error) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _SQLITE_UNAVAILABLE
    # Raised by our own code, not by SQLite, or passed on from a COMMIT another unit ran: the
    # writer's turn timed out ("database is locked"), a group commit was lost with the transaction
    # it waited on (sqlite_writer.py).
    message = str(error).lower()
    return isinstance(error, sqlite3.OperationalError) and (
        type(error).__name__ == "GroupCommitLostError" or any(words in message for words in _SQLITE_UNAVAILABLE_WORDS))


def is_connection_fault(error: BaseException) -> bool:
    """Whether ``error`` says that a connection which worked is gone (the server ended it, the
    network dropped it): a statement never sent on it can go on another connection."""
    driver = _driver_error(error)
    if _sqlstate(driver).startswith(("08", "57P01", "57P02")):
        return True
    return _is_asyncpg(driver) and _asyncpg_connection_fault(driver)


def _asyncpg_connection_fault(error: BaseException) -> bool:
    """asyncpg's client-side errors with no SQLSTATE, on a connection the server dropped: "connection
    is closed", and a protocol left in a state it cannot leave ("cannot switch to state 12") when
    the server ended the session mid-operation (pg_terminate_backend)."""
    name = type(error).__name__
    if name == "InternalClientError":
        return True
    message = str(error).lower()
    return name in ("InterfaceError", "ConnectionDoesNotExistError") and ("closed" in message or "closing" in message)


def constraint_broken(error: BaseException) -> str | None:
    """The name of the constraint or unique index ``error`` reports as broken, if it says."""
    driver = _driver_error(error)
    name = getattr(driver, "constraint_name", None)  # asyncpg's
    if name:
        return str(name)
    message = str(driver)
    if isinstance(driver, sqlite3.IntegrityError):
        if message in _SQLITE_TRIGGER_REFUSALS:
            return message
        prefix = "UNIQUE constraint failed: "
        return _SQLITE_SIGNATURES.get(message[len(prefix):].strip()) if message.startswith(prefix) else None
    # PostgreSQL's text: duplicate key value violates unique constraint "name"
    start = message.find('"')
    end = message.find('"', start + 1)
    return message[start + 1:end] if 0 <= start < end else None


def _integrity_kind(error: BaseException) -> str | None:
    """"unique", "foreign key" or "check" for an integrity error from either database; None otherwise."""
    driver = _driver_error(error)
    if isinstance(driver, sqlite3.IntegrityError):
        message = str(driver)
        if message in _SQLITE_TRIGGER_REFUSALS:
            return "unique"
        for kind, words in (("unique", "UNIQUE constraint failed"), ("foreign key", "FOREIGN KEY constraint failed"),
                            ("check", "CHECK constraint failed")):
            if message.startswith(words):
                return kind
        return None
    return {_UNIQUE: "unique", _EXCLUSION: "unique", _FOREIGN_KEY: "foreign key", _CHECK: "check"}.get(
        _sqlstate(driver))


def breaks_a_foreign_key(error: BaseException) -> bool:
    return _integrity_kind(error) == "foreign key"


def domain_error_for(error: BaseException) -> DomainError | None:
    """The application's error that a database failure stands for; None when it is a bug."""
    if isinstance(error, DomainError):
        return None
    if isinstance(error, StaleDataError):
        return ConcurrentChangeError()
    if is_connection_fault(error):
        # Raised before the COMMIT (the units of work tell a fault during it apart: commit_outcome.py):
        # the session's end rolled the work back, and it may run again on a new connection.
        return ConnectionLostError()
    if is_unavailable(error):
        return ServiceUnavailableError()
    driver = _driver_error(error)
    if _sqlstate(driver).startswith(_POSTGRES_LOST_RACE):
        return ConcurrentChangeError()
    kind = _integrity_kind(error)
    if kind == "unique":
        refusal = REFUSALS.get(constraint_broken(error) or "")
        return refusal() if refusal is not None else ConflictError()
    if kind == "foreign key":
        return ConflictError(REFERENCE_REMOVED)
    if kind == "check":
        return ValidationError()
    return None


def raise_as_domain_error(error: BaseException) -> None:
    """Raise the translation of ``error`` if it has one. An integrity error is not kept as its cause:
    its message names the values that clashed, and nothing may log them."""
    translated = domain_error_for(error)
    if translated is None:
        return
    if _integrity_kind(error) is not None:
        raise translated from None
    raise translated from error


async def flush(session: AsyncSession) -> None:
    """``session.flush()``, its database failures raised as what they mean."""
    try:
        await session.flush()
    except Exception as error:
        raise_as_domain_error(error)
        raise
