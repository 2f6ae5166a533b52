"""PostgreSQL ends the service's sessions under load (pg_terminate_backend: what a failover, a restart
or an administrator does): no request answers 5xx, no acknowledged write is lost, nothing is done
twice, and the pools recover by themselves.

Every path (the ORM engine, the direct reads, the driver transactions of bookings) gets a new
connection when its own was ended: a read runs again, and so does a unit of work whose session
ended before its COMMIT was sent, since the end of the session rolled it back (application/retry.py).
A write whose connection was lost while its COMMIT was on its way asks PostgreSQL, on a new
connection, what became of its transaction (adapters/sqlalchemy/lost_commits.py): committed, it
answers its success; aborted, it runs again. The 503 that says the outcome is unknown is left for a
server that cannot be asked at all; the test counts those apart, and expects none.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from hospital.entrypoints.migrations import upgrade
from tests.conftest import make_settings
from tests.integration.conftest import POSTGRES_URL
from tests.support.postgres_databases import drop_database, recreate_database, scratch_database_url
from tests.support.race_scene import Person, Scene
from tests.support.server_process import ServerProcess, server_environment, start_server
from tests.support.write_load import WriteLoad, is_outcome_unknown, run_writers

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not POSTGRES_URL, reason="needs HOSPITAL_TEST_DATABASE_URL")]

WORKERS = 2
LOAD_SECONDS = 8
TERMINATIONS_EVERY = 1.0
BOOKERS = 4
WRITERS = 6
WRITERS_PREFIX = "fault"


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def faults_database() -> Iterator[str]:
    url = scratch_database_url(POSTGRES_URL, "faults")
    recreate_database(POSTGRES_URL, url)
    upgrade(url)
    yield url
    drop_database(POSTGRES_URL, url)


@dataclass
class Bookings:
    acknowledged: list[int] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    unavailable_without_retry_after: int = 0
    outcome_unknown: int = 0  # 503s of a booking whose COMMIT's outcome the server could not learn


async def _terminate_backends(database: str, deadline: float) -> int:
    """End every session on ``database`` (but its own, which is on the test database) again and again."""
    connection = await asyncpg.connect(_dsn(POSTGRES_URL), timeout=10)
    ended = 0
    try:
        while time.monotonic() < deadline:
            await asyncio.sleep(TERMINATIONS_EVERY)
            ended += len(await connection.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                database,
            ))
    finally:
        await connection.close()
    return ended


async def _book_and_list(client: httpx.AsyncClient, patient: Person, doctor_id: int, time_id: int,
                         bookings: Bookings, deadline: float) -> None:
    while time.monotonic() < deadline:
        for response in (
            await client.post("/appointments/", headers=patient.headers,
                              json={"doctor": doctor_id, "time": time_id, "appointment_type": "Online"}),
            await client.get("/appointments/", params={"limits": 10}, headers=patient.headers),
            await client.get("/doctors/", params={"limits": 10}),
        ):
            bookings.statuses[f"{response.request.method} {response.url.path} {response.status_code}"] += 1
            if response.status_code == 503 and not response.headers.get("retry-after"):
                bookings.unavailable_without_retry_after += 1
            if is_outcome_unknown(response):
                bookings.outcome_unknown += 1
            if response.request.method == "POST" and response.status_code == 201:
                bookings.acknowledged.append(response.json()["id"])


async def _stored(url: str, load: WriteLoad, bookings: Bookings) -> list[str]:
    """Every acknowledged write the database does not hold, and every write it holds twice or
    without an acknowledgement (every request was answered, so each write it holds was acknowledged)."""
    connection = await asyncpg.connect(_dsn(url), timeout=10)
    try:
        rows = await connection.fetch(
            "SELECT u.username, p.bio, t.id AS patient FROM users u LEFT JOIN user_profiles p ON p.user_id = u.id "
            "LEFT JOIN patients t ON t.user_id = u.id")
        appointments = {row["id"] for row in await connection.fetch("SELECT id FROM appointments")}
    finally:
        await connection.close()
    stored = {row["username"]: (row["bio"], row["patient"]) for row in rows}
    lost = [f"user {name}" for name in load.registered if name not in stored or None in stored[name]]
    lost += [f"bio of {name}" for name, bio in load.last_bio.items()
             if stored.get(name, (None,))[0] not in (bio, load.unanswered_bio.get(name))]
    lost += [f"appointment {pk}" for pk in bookings.acknowledged if pk not in appointments]
    lost += [f"appointment {pk} not acknowledged" for pk in appointments - set(bookings.acknowledged)]
    lost += [f"user {name} not acknowledged" for name in set(stored) - set(load.registered)
             if name.startswith(WRITERS_PREFIX)]
    return lost


async def test_sessions_ended_under_load_give_no_5xx_and_lose_nothing(
        tmp_path: Path, faults_database: str) -> None:
    environment = server_environment(tmp_path, faults_database)
    server: ServerProcess = await asyncio.to_thread(start_server, tmp_path, environment, workers=WORKERS,
                                                    name="faults", startup_seconds=120)
    scene = await Scene.open(make_settings(tmp_path, database_url=faults_database,
                                           media_root=Path(environment["HOSPITAL_MEDIA_ROOT"])))
    try:
        _, doctor_id = await scene.doctor()
        patients = [await scene.patient() for _ in range(BOOKERS)]
        bookings = Bookings()
        deadline = time.monotonic() + LOAD_SECONDS
        limits = httpx.Limits(max_connections=BOOKERS * 2, max_keepalive_connections=BOOKERS * 2)
        async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=limits) as client:
            load, ended, *_ = await asyncio.gather(
                run_writers(server.url, writers=WRITERS, seconds=LOAD_SECONDS, prefix=WRITERS_PREFIX),
                _terminate_backends(make_url(faults_database).database or "", deadline),
                *(_book_and_list(client, patient, doctor_id, scene.times[0], bookings, deadline)
                  for patient in patients),
            )
            # The pools recover by themselves: everything answers again at once.
            after = [
                await client.post("/appointments/", headers=patients[0].headers,
                                  json={"doctor": doctor_id, "time": scene.times[0], "appointment_type": "Online"}),
                await client.get("/appointments/", headers=patients[0].headers),
                await client.get("/doctors/"),
                await client.get(f"/api/user/profiles/{await scene.profile_id(patients[0])}/",
                                 headers=patients[0].headers),
            ]
        print(f"{ended} sessions ended under load; writers: {load.summary()}; "
              f"bookings and reads: {dict(sorted(bookings.statuses.items()))}, "
              f"{bookings.outcome_unknown} bookings with an unknown outcome")
        statuses = Counter(load.statuses)
        for key, count in bookings.statuses.items():
            statuses[int(key.rsplit(" ", 1)[1])] += count
        outcome_unknown = load.outcome_unknown + bookings.outcome_unknown
        assert ended > 0
        # A COMMIT whose connection was lost on its way is settled: no 503, not even an honest one.
        assert (set(statuses) <= {200, 201}, outcome_unknown) == (True, 0), statuses
        assert bookings.unavailable_without_retry_after == 0
        assert load.transport_errors == 0
        assert [response.status_code for response in after] == [201, 200, 200, 200]
        bookings.acknowledged.append(after[0].json()["id"])
        settled = [line for line in server.logs().splitlines() if "A COMMIT lost on its way" in line]
        print(f"{len(settled)} COMMITs lost on their way, settled: {settled}")
        assert await _stored(faults_database, load, bookings) == []
    finally:
        await scene.close()
        await asyncio.to_thread(server.stop)
    assert '"status": 500' not in server.logs()
