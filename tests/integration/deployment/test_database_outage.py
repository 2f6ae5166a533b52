"""When the database is unreachable the API answers 503 {"detail": ...} at once, never 500,
leaves nothing half-written, and serves again by itself when the database is back."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from hospital.entrypoints.migrations import upgrade
from tests.integration.conftest import POSTGRES_URL
from tests.support.actors import PASSWORD, unique_username
from tests.support.postgres_databases import drop_database, recreate_database, scratch_database_url
from tests.support.server_process import ServerProcess, server_environment, start_server
from tests.support.tcp_proxy import TcpProxy
from tests.support.write_load import run_writers

pytestmark = pytest.mark.slow
needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="needs HOSPITAL_TEST_DATABASE_URL (PostgreSQL)")

# A refused connection must not cost the client more than this.
QUICK_SECONDS = 2.0


def _register(server: ServerProcess, username: str | None = None) -> httpx.Response:
    username = username or unique_username("outage")
    return httpx.post(f"{server.url}/api/user/register/", timeout=30, json={
        "username": username, "email": f"{username}@example.com", "password": PASSWORD,
        "confirm_password": PASSWORD,
    })


def _assert_unavailable(response: httpx.Response, started: float) -> None:
    assert response.status_code == 503, response.text
    assert set(response.json()) == {"detail"}
    assert response.headers["retry-after"]
    assert time.monotonic() - started < QUICK_SECONDS


def _wait_for(predicate, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@needs_postgres
def test_a_server_whose_database_is_a_closed_port_answers_503_quickly(tmp_path: Path, database_url: str) -> None:
    # `hospital serve` refuses to start on a database it cannot reach, so the port closes after the start.
    with TcpProxy.before(database_url) as proxy:
        through_proxy = proxy.url_through(database_url)
        server = start_server(tmp_path, server_environment(tmp_path, through_proxy))
        proxy.cut()
        try:
            assert httpx.get(f"{server.url}/health/live").status_code == 200
            started = time.monotonic()
            ready = httpx.get(f"{server.url}/health/ready")
            assert ready.status_code == 503
            assert ready.json()["checks"] == {"database": "unreachable"}
            assert time.monotonic() - started < QUICK_SECONDS
            started = time.monotonic()
            _assert_unavailable(_register(server), started)
            started = time.monotonic()
            _assert_unavailable(httpx.post(f"{server.url}/api/user/login/",
                                           json={"username": "someone", "password": PASSWORD}), started)
        finally:
            server.stop()
    assert '"status": 500' not in server.logs()


async def _users_without_profile_or_patient(url: str) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(text(
                "SELECT count(*) FROM users u LEFT JOIN user_profiles p ON p.user_id = u.id "
                "LEFT JOIN patients t ON t.user_id = u.id WHERE p.id IS NULL OR t.id IS NULL"
            ))
    finally:
        await engine.dispose()


@needs_postgres
def test_writes_during_a_network_cut_get_503_then_the_service_recovers_by_itself(tmp_path: Path,
                                                                                 database_url: str) -> None:
    with TcpProxy.before(database_url) as proxy:
        through_proxy = proxy.url_through(database_url)
        server = start_server(tmp_path, server_environment(tmp_path, through_proxy))
        try:
            assert _register(server).status_code == 201
            # Writers run throughout; the database vanishes for two seconds in the middle.
            cut = threading.Timer(1.5, proxy.cut)
            back = threading.Timer(3.5, proxy.restore)
            cut.start()
            back.start()
            load = asyncio.run(run_writers(server.url, writers=8, seconds=6, prefix="cut"))
            cut.join()
            back.join()
            print(f"network cut under load: {load.summary()}")
            assert load.statuses[503] > 0  # the cut was felt
            assert set(load.statuses) <= {200, 201, 503}, load.summary()  # and only as 503s
            assert load.transport_errors == 0
            assert _wait_for(lambda: httpx.get(f"{server.url}/health/ready").status_code == 200)
            assert _register(server).status_code == 201  # recovered, with no restart
        finally:
            server.stop()
    assert asyncio.run(_users_without_profile_or_patient(database_url)) == 0  # nothing half-written


@needs_postgres
def test_a_database_dropped_mid_run_gives_503_until_it_is_back(tmp_path: Path) -> None:
    url = scratch_database_url(POSTGRES_URL, "outage")
    recreate_database(POSTGRES_URL, url)
    upgrade(url)
    server = start_server(tmp_path, server_environment(tmp_path, url))
    try:
        assert _register(server, "before").status_code == 201

        drop_database(POSTGRES_URL, url)
        started = time.monotonic()
        _assert_unavailable(_register(server), started)
        ready = httpx.get(f"{server.url}/health/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"] == {"database": "unreachable"}

        recreate_database(POSTGRES_URL, url)
        upgrade(url)
        assert _wait_for(lambda: httpx.get(f"{server.url}/health/ready").status_code == 200)
        assert _register(server, "after").status_code == 201
    finally:
        server.stop()
        drop_database(POSTGRES_URL, url)
    assert '"status": 500' not in server.logs()


@needs_postgres
def test_reads_after_a_network_cut_answer_at_once_on_fresh_connections(tmp_path: Path, database_url: str) -> None:
    """The read queries have a pool of their own (asyncpg's, without the engine's pre-ping): a
    connection the cut broke is replaced when next lent, so no read answers 503 once the database
    is back."""
    with TcpProxy.before(database_url) as proxy:
        through_proxy = proxy.url_through(database_url)
        server = start_server(tmp_path, server_environment(tmp_path, through_proxy))
        try:
            assert httpx.get(f"{server.url}/doctors/").status_code == 200  # a pooled read connection now
            proxy.cut()
            proxy.restore()
            assert _wait_for(lambda: httpx.get(f"{server.url}/health/ready").status_code == 200)
            assert httpx.get(f"{server.url}/doctors/").status_code == 200
        finally:
            server.stop()
