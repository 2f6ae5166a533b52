"""A slow read never stalls a worker, and no read takes the write lock (issue 12).

One real server worker on a SQLite file of 200,000 users (each with a profile) and 50,000 reviews,
built with bulk SQL. Four clients loop the slowest searches, whose LIKE '%...%' scans every row:

- anonymous, ``GET /reviews/?search=zzz&limits=1000`` (the names of both users of every review):
  ``GET /health/live`` keeps its p99 under 50 ms;
- an admin, ``GET /api/user/profiles/?search=zzz&limits=1000`` (200,000 users' four fields):
  writes (contact requests) keep their p50 within 3x of the same run's idle p50.

Each figure is compared with the same run's idle figure, taken just before.
"""

from __future__ import annotations

import asyncio
import sqlite3
import statistics
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from hospital.adapters.clock import SystemClock
from hospital.adapters.security.jwt_tokens import PyJwtTokenService
from hospital.application.ports.security import TokenType
from tests.conftest import TEST_SECRET
from tests.integration.deployment.conftest import migrated_sqlite, sqlite_pass_only
from tests.support.server_process import ServerProcess, server_environment, start_server

pytestmark = [pytest.mark.slow, sqlite_pass_only]

USERS = 200_000
DOCTORS = 50
REVIEWERS = 1_000  # x DOCTORS = 50,000 reviews, one per doctor per patient
SEARCHERS = 4
LOAD_SECONDS = 8
REVIEW_SEARCH = "/reviews/?search=zzz&limits=1000"
PROFILE_SEARCH = "/api/user/profiles/?search=zzz&limits=1000"
ADMIN_ID = 1


def _fill(database: Path) -> None:
    """The tables, in a few statements (seconds, not minutes): user 1 is an admin, users 2-51 the
    doctors, users 52-1051 the reviewers' patient records."""
    now = "2026-01-01 00:00:00.000000"
    with closing(sqlite3.connect(database)) as connection, connection:
        connection.execute("PRAGMA foreign_keys=OFF")
        connection.execute(
            f"""WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {USERS})
            INSERT INTO users (id, username, email, first_name, last_name, password_hash, is_staff, is_active,
                               date_joined, token_version, version)
            SELECT i, 'user' || i, 'user' || i || '@example.com', 'First' || i, 'Last' || i, 'x', i = {ADMIN_ID},
                   1, '{now}', 0, 1 FROM n"""
        )
        connection.execute(
            f"""INSERT INTO user_profiles (id, user_id, bio, address, created_at, updated_at, version)
            SELECT id, id, '', '', '{now}', '{now}', 1 FROM users"""
        )
        connection.execute(
            f"""INSERT INTO doctors (id, user_id, fee, meet_link, version)
            SELECT id - 1, id, 500, '', 1 FROM users WHERE id BETWEEN 2 AND {DOCTORS + 1}"""
        )
        connection.execute(
            f"""INSERT INTO patients (id, user_id, version)
            SELECT id - {DOCTORS + 1}, id, 1 FROM users WHERE id BETWEEN {DOCTORS + 2} AND {DOCTORS + 1 + REVIEWERS}"""
        )
        connection.execute(
            """INSERT INTO reviews (reviewer_id, doctor_id, body, rating, created_on, version)
            SELECT patients.id, doctors.id, 'Fine', 1 + (patients.id + doctors.id) % 5, '2026-01-01', 1
            FROM patients CROSS JOIN doctors"""
        )
        connection.execute("ANALYZE")
    with closing(sqlite3.connect(database)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert connection.execute("SELECT count(*) FROM users").fetchone()[0] >= USERS
        assert connection.execute("SELECT count(*) FROM reviews").fetchone()[0] >= 50_000


@pytest.fixture(scope="module")
def big_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("slow-reads")
    url = migrated_sqlite(workdir)
    _fill(Path(url.removeprefix("sqlite+aiosqlite:///")))
    server = start_server(workdir, server_environment(workdir, url, response_cache_bytes="0"), workers=1)
    yield server
    server.stop()


def _admin_token() -> str:
    tokens = PyJwtTokenService(secret=TEST_SECRET, issuer="hospital", access_lifetime=timedelta(hours=1),
                               refresh_lifetime=timedelta(hours=1), clock=SystemClock())
    return tokens.issue(user_id=ADMIN_ID, token_type=TokenType.ACCESS).token


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def _timed(client: httpx.AsyncClient, send, seconds: float, pause: float) -> list[float]:
    """Milliseconds of each call of ``send`` for ``seconds``, one at a time."""
    durations: list[float] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        response = await send(client)
        durations.append((time.perf_counter() - started) * 1000)
        assert response.status_code < 300, response.text
        await asyncio.sleep(pause)
    return durations


async def _search_loop(base_url: str, path: str, headers: dict[str, str], stop: asyncio.Event,
                       done: list[float]) -> None:
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=120) as client:
        while not stop.is_set():
            started = time.perf_counter()
            response = await client.get(path)
            assert response.status_code == 200, response.text
            done.append((time.perf_counter() - started) * 1000)


async def _measure(base_url: str, send, *, search: str, headers: dict[str, str],
                   pause: float) -> tuple[list[float], list[float], list[float]]:
    """(idle samples, samples while SEARCHERS clients loop ``search``, the searches' durations)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        await _timed(client, send, 1, pause)  # warm: connections, caches
        idle = await _timed(client, send, LOAD_SECONDS / 2, pause)
        stop, searches = asyncio.Event(), []
        searchers = [asyncio.create_task(_search_loop(base_url, search, headers, stop, searches))
                     for _ in range(SEARCHERS)]
        await asyncio.sleep(0.5)  # every searcher's first request under way
        try:
            loaded = await _timed(client, send, LOAD_SECONDS, pause)
        finally:
            stop.set()
            await asyncio.gather(*searchers)
    return idle, loaded, searches


def test_liveness_stays_quick_while_four_clients_run_the_slowest_search(big_server) -> None:
    async def live(client: httpx.AsyncClient) -> httpx.Response:
        return await client.get("/health/live")

    idle, loaded, searches = asyncio.run(_measure(big_server.url, live, search=REVIEW_SEARCH, headers={},
                                                  pause=0.01))
    p99 = _percentile(loaded, 0.99)
    print(f"/health/live p50/p99: idle {statistics.median(idle):.1f}/{_percentile(idle, 0.99):.1f} ms, "
          f"under {SEARCHERS} review searches {statistics.median(loaded):.1f}/{p99:.1f} ms "
          f"({len(searches)} searches, median {statistics.median(searches or [0]):.0f} ms)")
    assert len(searches) >= SEARCHERS  # the searches ran meanwhile
    assert p99 < 50


def test_writes_keep_their_pace_while_four_admins_run_the_slowest_admin_search(big_server) -> None:
    headers = {"Authorization": f"Bearer {_admin_token()}"}

    async def write(client: httpx.AsyncClient) -> httpx.Response:
        return await client.post("/contacts/", json={"name": "Ann", "phone": "01712345678", "massage": "Hi"})

    idle, loaded, searches = asyncio.run(_measure(big_server.url, write, search=PROFILE_SEARCH, headers=headers,
                                                  pause=0))
    idle_p50, loaded_p50 = statistics.median(idle), statistics.median(loaded)
    print(f"POST /contacts/ p50: idle {idle_p50:.1f} ms ({len(idle)} writes), under {SEARCHERS} profile searches "
          f"{loaded_p50:.1f} ms ({len(loaded)} writes; {len(searches)} searches, "
          f"median {statistics.median(searches or [0]):.0f} ms)")
    assert len(searches) >= SEARCHERS
    assert loaded_p50 <= 3 * idle_p50
