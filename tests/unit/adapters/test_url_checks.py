"""Database and Redis URLs that cannot work are named in one line that says what to use instead."""

from __future__ import annotations

import pytest

from hospital.adapters.redis.checks import redis_url_problem
from hospital.adapters.sqlalchemy.database_checks import url_problem


@pytest.mark.parametrize("url", ["sqlite+aiosqlite:///./hospital.sqlite3", "sqlite+aiosqlite://",
                                 "postgresql+asyncpg://user:secret@db.example.org:5432/hospital"])
def test_async_urls_are_accepted(url: str) -> None:
    assert url_problem(url) is None


@pytest.mark.parametrize(("url", "instead"), [
    ("postgresql://app@db:5432/hospital", "postgresql+asyncpg://app@db:5432/hospital"),
    ("postgres://app@db/hospital", "postgresql+asyncpg://app@db/hospital"),
    ("postgresql+psycopg2://app@db/hospital", "postgresql+asyncpg://app@db/hospital"),
    ("sqlite:///./hospital.sqlite3", "sqlite+aiosqlite:///./hospital.sqlite3"),
    ("sqlite:////var/lib/hospital.db", "sqlite+aiosqlite:////var/lib/hospital.db"),
])
def test_a_synchronous_driver_is_refused_with_the_url_to_use(url: str, instead: str) -> None:
    problem = url_problem(url)
    assert problem is not None
    assert problem.startswith("HOSPITAL_DATABASE_URL:")
    assert "synchronous driver" in problem
    assert f"use {instead!r} instead" in problem


def test_a_password_is_not_repeated_in_the_message() -> None:
    problem = url_problem("postgresql://app:hunter2secret@db/hospital")
    assert problem is not None
    assert "hunter2secret" not in problem


@pytest.mark.parametrize("url", ["notaurl", "", "://", "mysql://app@db/hospital", "oracle://x"])
def test_what_is_not_a_supported_database_url_is_refused(url: str) -> None:
    problem = url_problem(url)
    assert problem is not None
    assert "sqlite+aiosqlite:///" in problem and "postgresql+asyncpg://" in problem
    assert "\n" not in problem


@pytest.mark.parametrize("url", ["", "redis://127.0.0.1:6379/0", "rediss://cache:6380/1", "unix:///run/redis.sock"])
def test_redis_urls_are_accepted_or_absent(url: str) -> None:
    assert redis_url_problem(url) is None


@pytest.mark.parametrize("url", ["notredis", "http://cache:6379", "redis://cache:99999/0",
                                 "redis://:hunter2secret@cache:99999/0"])
def test_a_redis_url_redis_cannot_read_is_refused(url: str) -> None:
    problem = redis_url_problem(url)
    assert problem is not None
    assert problem.startswith("HOSPITAL_REDIS_URL:") and "redis://127.0.0.1:6379/0" in problem
    assert "hunter2secret" not in problem
