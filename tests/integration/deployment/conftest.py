"""Deployment tests: real server processes, shared Redis, crashes, outages, a real browser.

Redis is required where a test asks for it: on CI (CI=true) an unreachable Redis fails the test,
elsewhere it is skipped with the reason. HOSPITAL_TEST_REDIS_URL picks the server and database
(default: database 5 of the local server); only this suite's keys are ever deleted there.
Starting a server costs seconds, so servers are shared by the tests of a module where they can be.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from hospital.entrypoints.migrations import upgrade
from tests.integration.conftest import POSTGRES_URL

REDIS_URL = os.environ.get("HOSPITAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
RATE_LIMIT_KEYS = "hospital:rl:*"
ON_CI = os.environ.get("CI", "").lower() == "true"
# For tests whose outcome cannot depend on the database: CI runs the integration tests twice
# (SQLite, then PostgreSQL), and these need not be paid for twice.
sqlite_pass_only = pytest.mark.skipif(bool(POSTGRES_URL), reason="independent of the database: runs in the SQLite pass")


def forget_rate_limits(url: str) -> None:
    with redis.Redis.from_url(url, socket_connect_timeout=2) as client:
        for key in client.scan_iter(RATE_LIMIT_KEYS):
            client.delete(key)


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A reachable Redis with no rate-limit counters in it."""
    try:
        with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2) as client:
            client.ping()
    except redis.RedisError as error:
        if ON_CI:
            pytest.fail(f"Redis at {REDIS_URL} is unreachable on CI: {error}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {error}")
    forget_rate_limits(REDIS_URL)
    yield REDIS_URL
    forget_rate_limits(REDIS_URL)


def migrated_sqlite(folder: Path) -> str:
    url = f"sqlite+aiosqlite:///{folder / 'hospital.sqlite3'}"
    upgrade(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A migrated SQLite database file of this test's own."""
    return migrated_sqlite(tmp_path)


@pytest.fixture(scope="module")
def module_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database for the servers of one module: the PostgreSQL test database when
    HOSPITAL_TEST_DATABASE_URL is set (tests register unique users), else an SQLite file."""
    if POSTGRES_URL:
        return request.getfixturevalue("migrated_postgres")
    return migrated_sqlite(tmp_path_factory.mktemp("database"))
