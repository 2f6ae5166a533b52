"""A database or Redis host that accepts connections but never answers (a hung server, a
half-open firewall) costs a request a bounded wait and a 503, never a hang."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from hospital.adapters.sqlalchemy.engine import CONNECT_TIMEOUT_SECONDS
from hospital.bootstrap import REDIS_TIMEOUT_SECONDS, build_container, shutdown
from hospital.entrypoints.http.app import create_app
from tests.conftest import make_settings
from tests.integration.deployment.conftest import sqlite_pass_only

pytestmark = pytest.mark.slow


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose connections the kernel completes but no one ever reads or answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield listener.getsockname()[1]


@sqlite_pass_only
async def test_a_database_that_never_answers_gives_503_after_the_connect_timeout(tmp_path, silent_port) -> None:
    settings = make_settings(tmp_path, database_url=f"postgresql+asyncpg://postgres@127.0.0.1:{silent_port}/x")
    container = build_container(settings)
    try:
        async with AsyncTestClient(create_app(container)) as client:
            started = time.monotonic()
            response = await client.post("/api/user/login/", json={"username": "someone", "password": "x"})
            waited = time.monotonic() - started
    finally:
        await shutdown(container)
    assert response.status_code == 503
    assert CONNECT_TIMEOUT_SECONDS - 1 <= waited < CONNECT_TIMEOUT_SECONDS + 2


async def test_a_redis_that_never_answers_gives_503_after_its_timeout(sql_container, silent_port) -> None:
    sql_container.settings.override(replace(sql_container.settings(), redis_url=f"redis://127.0.0.1:{silent_port}/0"))
    sql_container.redis.reset()
    async with AsyncTestClient(create_app(sql_container)) as client:
        started = time.monotonic()
        response = await client.post("/api/user/login/", json={"username": "someone", "password": "x"})
        waited = time.monotonic() - started
    assert response.status_code == 503
    assert waited < REDIS_TIMEOUT_SECONDS * 2 + 1
    assert isinstance(sql_container.redis(), Redis)
