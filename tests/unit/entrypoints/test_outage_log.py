"""The outage log: one warning per outage and cause, naming the service and what its driver said."""

from __future__ import annotations

import logging

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from hospital.application.errors import ServiceUnavailableError
from hospital.entrypoints.http.outage_log import OutageLog


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def unavailable(cause: BaseException) -> ServiceUnavailableError:
    try:
        raise ServiceUnavailableError() from cause
    except ServiceUnavailableError as error:
        return error


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records
            if record.name == "hospital.outage" and record.levelno == logging.WARNING]


def test_an_outage_is_logged_once_however_many_requests_fail(caplog) -> None:
    clock = Clock()
    outages = OutageLog(quiet_seconds=60, clock=clock)
    for _ in range(50):
        clock.now += 1  # a failure a second, for fifty seconds and beyond the quiet time
        outages.failed(unavailable(ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")))
    assert warnings(caplog) == [
        "database unavailable: ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 5432); "
        "requests that need it answer 503 until it is back (logged once per outage)"
    ]


def test_a_failure_after_a_quiet_time_is_a_new_outage_and_a_new_cause_is_logged(caplog) -> None:
    clock = Clock()
    outages = OutageLog(quiet_seconds=60, clock=clock)
    refused = unavailable(ConnectionRefusedError("refused"))
    outages.failed(refused)
    clock.now = 61
    outages.failed(refused)
    outages.failed(unavailable(RuntimeError('relation "users" does not exist')))
    outages.failed(unavailable(RuntimeError('relation "reviews" does not exist')))  # the same kind of cause
    logged = warnings(caplog)
    assert len(logged) == 3
    assert logged[2].startswith('database unavailable: RuntimeError: relation "users" does not exist '
                                "(not migrated? run `hospital migrate`)")


def test_redis_and_the_database_are_told_apart(caplog) -> None:
    outages = OutageLog()
    outages.failed(unavailable(RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")))
    outages.failed(unavailable(OSError("gone")))
    logged = warnings(caplog)
    assert logged[0].startswith("Redis unavailable: ConnectionError: Error 111 connecting to 127.0.0.1:6379.")
    assert logged[1].startswith("database unavailable: OSError: gone")
