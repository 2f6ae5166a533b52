"""GET /health/live and GET /health/ready through the real app on the test database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient

from hospital.adapters.memory.passwords import FastInsecurePasswordHasher
from hospital.bootstrap import build_container, shutdown
from hospital.entrypoints.http.app import create_app
from hospital.entrypoints.migrations import downgrade, upgrade
from tests.conftest import make_settings


async def test_live_answers_ok(client) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_when_the_database_answers_and_is_at_head(client) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


async def test_health_is_not_in_the_documented_api(client) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert not [path for path in paths if path.startswith("/health")]


@pytest.fixture
async def sqlite_client(tmp_path: Path) -> AsyncIterator[tuple[AsyncTestClient, str]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'probe.sqlite3'}"
    container = build_container(make_settings(tmp_path, database_url=url))
    container.password_hasher.override(providers.Singleton(FastInsecurePasswordHasher))
    async with AsyncTestClient(create_app(container)) as client:
        yield client, url
    await shutdown(container)


async def test_not_ready_before_migrations_and_ready_after(sqlite_client) -> None:
    client, url = sqlite_client
    response = await client.get("/health/ready")
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert response.json()["checks"] == {"database": "not migrated: run `hospital migrate`"}
    assert response.json()["detail"].startswith("Not ready (database: not migrated")

    upgrade(url, "0001")
    behind = (await client.get("/health/ready")).json()
    assert "schema at revision 0001" in behind["checks"]["database"]

    upgrade(url)
    assert (await client.get("/health/ready")).status_code == 200
    downgrade(url, "base")
    assert (await client.get("/health/ready")).json()["checks"]["database"].startswith("schema at revision none")
