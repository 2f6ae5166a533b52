"""Which database failures mean "unavailable" (503, try again) rather than "a bug" (500)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from hospital.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from hospital.application.errors import ServiceUnavailableError


class DriverError(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__(f"driver error {sqlstate}")
        self.sqlstate = sqlstate


def _dbapi_error(sqlstate: str | None, kind: type[DBAPIError] = DBAPIError) -> DBAPIError:
    return kind("SELECT 1", {}, DriverError(sqlstate))


@pytest.mark.parametrize("failure", [
    _dbapi_error("3D000"),  # the database was dropped
    _dbapi_error("08006"),  # connection failure
    _dbapi_error("57P01"),  # terminated by an administrator (restart, failover)
    _dbapi_error("57P03"),  # the server is starting up
    _dbapi_error("53300"),  # too many connections
    OperationalError("SELECT 1", {}, DriverError(None)),  # SQLite: database is locked / unreadable
    ConnectionRefusedError(111, "Connect call failed"),
    TimeoutError(),
])
async def test_unavailability_becomes_service_unavailable(sql_container, failure: BaseException) -> None:
    with pytest.raises(ServiceUnavailableError) as raised:
        async with SqlAlchemyUnitOfWork(sql_container.session_factory()):
            raise failure
    assert raised.value.__cause__ is failure


@pytest.mark.parametrize("failure", [
    _dbapi_error("23505", IntegrityError),  # a unique violation is a bug or a race, not an outage
    _dbapi_error("42P01"),  # undefined table: not migrated, a deployment error
    _dbapi_error(None),
    ValueError("not a database error"),
])
async def test_other_failures_pass_through_unchanged(sql_container, failure: BaseException) -> None:
    with pytest.raises(type(failure)):
        async with SqlAlchemyUnitOfWork(sql_container.session_factory()):
            raise failure
