"""What a database failure means to the caller (adapters/sqlalchemy/database_errors.py): "unavailable"
(503, try again), a lost race (re-run, then 409), a refusal (400), or a bug (500: passed through to be
logged), for the errors each database and driver really raises, bare or wrapped by SQLAlchemy."""

from __future__ import annotations

import sqlite3

import asyncpg.exceptions as pg
import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from hospital.adapters.sqlalchemy.database_errors import REFERENCE_REMOVED
from hospital.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from hospital.application.errors import ConcurrentChangeError, ConnectionLostError, ServiceUnavailableError
from hospital.domain.errors import NON_FIELD_ERRORS, ConflictError, ValidationError
from hospital.domain.users import USERNAME_TAKEN


class DriverError(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__(f"driver error {sqlstate}")
        self.sqlstate = sqlstate


def _dbapi_error(sqlstate: str | None, kind: type[DBAPIError] = DBAPIError) -> DBAPIError:
    return kind("SELECT 1", {}, DriverError(sqlstate))


def _sqlite(kind: type[sqlite3.Error], message: str, code: int) -> sqlite3.Error:
    error = kind(message)
    error.sqlite_errorcode = code  # type: ignore[attr-defined]
    return error


def _wrapped(driver: BaseException, kind: type[DBAPIError] = OperationalError) -> DBAPIError:
    return kind("SELECT 1", {}, driver)


# A connection that worked, ended by the server: the session's end rolled the unit back.
CONNECTION_LOST = [
    _dbapi_error("08006"),  # connection failure
    _dbapi_error("57P01"),  # terminated by an administrator (restart, failover, pg_terminate_backend)
    pg.AdminShutdownError("terminating connection due to administrator command"),
    pg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    pg.InternalClientError("cannot switch to state 12; another operation (2) is in progress"),
    pg.InterfaceError("connection is closed"),
]
UNAVAILABLE = [
    *CONNECTION_LOST,
    _dbapi_error("3D000"),  # the database was dropped
    _dbapi_error("57P03"),  # the server is starting up
    _dbapi_error("53300"),  # too many connections
    _dbapi_error("42P01"),  # undefined table: a database not migrated (yet)
    pg.UndefinedTableError('relation "users" does not exist'),
    _sqlite(sqlite3.OperationalError, "database is locked", sqlite3.SQLITE_BUSY),
    _wrapped(_sqlite(sqlite3.OperationalError, "database table is locked", sqlite3.SQLITE_LOCKED)),
    _wrapped(_sqlite(sqlite3.OperationalError, "disk I/O error", sqlite3.SQLITE_IOERR_WRITE)),
    sqlite3.OperationalError("database is locked"),  # the writer's turn timed out (sqlite_writer.py)
    ConnectionRefusedError(111, "Connect call failed"),
    TimeoutError(),
]


@pytest.mark.parametrize("failure", UNAVAILABLE)
async def test_unavailability_becomes_service_unavailable(sql_container, failure: BaseException) -> None:
    with pytest.raises(ServiceUnavailableError) as raised:
        async with SqlAlchemyUnitOfWork(sql_container.session_factory()):
            raise failure
    assert raised.value.__cause__ is failure


@pytest.mark.parametrize("failure", UNAVAILABLE)
async def test_only_a_lost_connection_is_one_the_unit_may_run_again_after(sql_container, failure) -> None:
    # Raised in the unit, before any COMMIT: the retry policy runs it again on a new connection. A
    # database that is not there (refused, missing, starting, full) is a 503 at once.
    with pytest.raises(ServiceUnavailableError) as raised:
        async with SqlAlchemyUnitOfWork(sql_container.session_factory()):
            raise failure
    assert isinstance(raised.value, ConnectionLostError) == (failure in CONNECTION_LOST)


@pytest.mark.parametrize("failure", [
    StaleDataError("UPDATE statement on table 'appointments' expected to update 1 row(s); 0 were matched."),
    _dbapi_error("40P01"),  # deadlock detected
    pg.SerializationError("could not serialize access due to concurrent update"),
])
async def test_a_lost_race_becomes_a_concurrent_change(sql_container, failure: BaseException) -> None:
    with pytest.raises(ConcurrentChangeError):
        async with SqlAlchemyUnitOfWork(sql_container.session_factory()):
            raise failure


@pytest.mark.parametrize(("failure", "errors"), [
    (_wrapped(_sqlite(sqlite3.IntegrityError, "UNIQUE constraint failed: index 'uq_users_username_lower'",
                      sqlite3.SQLITE_CONSTRAINT_UNIQUE), IntegrityError), {"username": [USERNAME_TAKEN]}),
    (pg.UniqueViolationError('duplicate key value violates unique constraint "uq_users_username_lower"'),
     {"username": [USERNAME_TAKEN]}),
    (_wrapped(_sqlite(sqlite3.IntegrityError, "FOREIGN KEY constraint failed", sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY),
              IntegrityError), {NON_FIELD_ERRORS: [REFERENCE_REMOVED]}),
    (pg.ForeignKeyViolationError('insert or update on table "doctor_designations" violates foreign key constraint'),
     {NON_FIELD_ERRORS: [REFERENCE_REMOVED]}),
])
async def test_a_broken_constraint_becomes_a_refusal_without_its_values(sql_container, failure: BaseException,
                                                                        errors: dict) -> None:
    with pytest.raises(ConflictError) as raised:
        async with SqlAlchemyUnitOfWork(sql_container.session_factory()):
            raise failure
    assert raised.value.errors == errors
    assert raised.value.__cause__ is None and raised.value.__suppress_context__  # its text names the values


async def test_a_broken_check_constraint_is_invalid_input(sql_container) -> None:
    with pytest.raises(ValidationError):
        async with SqlAlchemyUnitOfWork(sql_container.session_factory()):
            raise pg.CheckViolationError('new row for relation "doctors" violates check constraint "ck_doctors_fee"')


@pytest.mark.parametrize("failure", [
    _dbapi_error(None),
    _dbapi_error("42703"),  # undefined column: a bug, or a migration that is missing
    pg.UndefinedColumnError('column "version" does not exist'),
    pg.InterfaceError("cannot perform operation: another operation is in progress"),
    _sqlite(sqlite3.OperationalError, "no such table: users", sqlite3.SQLITE_ERROR),
    _wrapped(_sqlite(sqlite3.OperationalError, "no such column: version", sqlite3.SQLITE_ERROR)),
    OperationalError("SELECT 1", {}, DriverError(None)),
    ValueError("not a database error"),
])
async def test_other_failures_pass_through_unchanged(sql_container, failure: BaseException) -> None:
    with pytest.raises(type(failure)):
        async with SqlAlchemyUnitOfWork(sql_container.session_factory()):
            raise failure
