"""A database or Redis that goes away while serving: every request answers 503 (never 500), and the
log says so once, naming the cause, rather than once per request."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient

from hospital.bootstrap import build_container, shutdown
from hospital.entrypoints.http.app import create_app
from tests.conftest import make_settings
from tests.integration.conftest import POSTGRES_URL
from tests.support.actors import PASSWORD
from tests.support.postgres_databases import drop_database, recreate_database, scratch_database_url
from tests.support.server_process import free_port

REGISTRATION = {"username": "someone", "email": "someone@example.com", "password": PASSWORD,
                "confirm_password": PASSWORD}
# Requests that need the database (an anonymous GET /appointments/ is a 401 before any query).
REQUESTS = [("GET", "/doctors/", None), ("POST", "/api/user/login/", {"username": "someone", "password": "x"}),
            ("GET", "/reviews/", None), ("GET", "/services/", None), ("POST", "/api/user/register/", REGISTRATION)] * 4


def outage_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records
            if record.name == "hospital.outage" and record.levelno == logging.WARNING]


async def answers(client: AsyncTestClient) -> set[int]:
    statuses = set()
    for method, path, body in REQUESTS:
        statuses.add((await client.request(method, path, json=body)).status_code)
    return statuses


async def test_a_database_that_is_not_there_is_503_everywhere_and_one_warning(tmp_path, caplog) -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/hospital"
    container = build_container(make_settings(tmp_path, database_url=url))
    try:
        async with AsyncTestClient(create_app(container)) as client:
            assert await answers(client) == {503}
    finally:
        await shutdown(container)
    logged = outage_warnings(caplog)
    assert len(logged) == 1, logged
    assert logged[0].startswith("database unavailable: ")
    assert "Connect call failed" in logged[0] or "refused" in logged[0]


async def test_a_redis_that_is_not_there_is_503_everywhere_and_one_warning(sql_container, caplog) -> None:
    sql_container.settings.override(replace(sql_container.settings(), redis_url=f"redis://127.0.0.1:{free_port()}/0"))
    sql_container.redis.reset()
    async with AsyncTestClient(create_app(sql_container)) as client:
        assert await answers(client) == {503}
    logged = outage_warnings(caplog)
    assert len(logged) == 1, logged
    assert logged[0].startswith("Redis unavailable: ConnectionError: Error 111 connecting to 127.0.0.1:")


@pytest.mark.skipif(not POSTGRES_URL, reason="needs HOSPITAL_TEST_DATABASE_URL (PostgreSQL)")
@pytest.mark.xfail(reason="an undefined table is a 503 once branch conc's _is_unavailable classifies it; "
                          "remove this mark then", strict=False)
async def test_an_unmigrated_postgresql_database_is_503_everywhere_and_one_warning_saying_migrate(
        tmp_path, caplog) -> None:
    url = scratch_database_url(POSTGRES_URL, "never_migrated")
    await asyncio.to_thread(recreate_database, POSTGRES_URL, url)
    container = build_container(make_settings(tmp_path, database_url=url))
    try:
        async with AsyncTestClient(create_app(container)) as client:
            assert await answers(client) == {503}
    finally:
        await shutdown(container)
        await asyncio.to_thread(drop_database, POSTGRES_URL, url)
    logged = outage_warnings(caplog)
    assert len(logged) == 1, logged
    assert "(not migrated? run `hospital migrate`)" in logged[0]
