"""Four worker processes writing audit events at once, on PostgreSQL or SQLite: every chain still
verifies, no event is lost, and each worker wrote chains of its own.

Changes (patients updating their records) are audited in their own transactions; refused attempts
(strangers reaching for those records) go through each worker's batched log, written at the latest
when the server stops (SIGTERM).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hospital.domain.audit import AuditAction, AuditOutcome
from hospital.entrypoints.migrations import upgrade
from tests.conftest import make_settings
from tests.integration.conftest import POSTGRES_URL
from tests.integration.deployment.conftest import migrated_sqlite
from tests.support.postgres_databases import drop_database, recreate_database, scratch_database_url
from tests.support.race_scene import Scene
from tests.support.server_process import ServerProcess, server_environment, start_server

pytestmark = pytest.mark.slow

WORKERS = 4
PATIENTS = 8
ROUNDS = 6


@pytest.fixture(scope="module")
def database_of_its_own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An audit log nobody else writes (on PostgreSQL the run's test database is shared by modules)."""
    if not POSTGRES_URL:
        yield migrated_sqlite(tmp_path_factory.mktemp("audit-database"))
        return
    url = scratch_database_url(POSTGRES_URL, "audit_workers")
    recreate_database(POSTGRES_URL, url)
    upgrade(url)
    yield url
    drop_database(POSTGRES_URL, url)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, database_of_its_own: str) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("audit-workers")
    process = start_server(workdir, server_environment(workdir, database_of_its_own), workers=WORKERS,
                           name="audit-workers", startup_seconds=120)
    yield process
    process.stop()


async def test_four_workers_writing_at_once_leave_every_chain_valid(server: ServerProcess, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, database_url=server.environment["HOSPITAL_DATABASE_URL"])
    scene = await Scene.open(settings)
    try:
        patients = [await scene.patient() for _ in range(PATIENTS)]
        ids = [p.actor.patient_id for p in patients]
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as api:
            async def own(index: int, round_: int) -> httpx.Response:
                return await api.patch(f"/patients/{ids[index]}/", json={"phone": f"0171{index:03d}{round_:04d}"},
                                       headers=patients[index].headers)

            async def stranger(index: int) -> httpx.Response:
                victim = ids[(index + 1) % PATIENTS]
                return await api.delete(f"/patients/{victim}/", headers=patients[index].headers)

            calls = [own(i, r) for i in range(PATIENTS) for r in range(ROUNDS)]
            calls += [stranger(i) for i in range(PATIENTS) for _ in range(ROUNDS)]
            responses = await asyncio.gather(*calls)
        statuses = Counter((r.request.method, r.status_code) for r in responses)
        # A patch that lost its record's race three times is a 409 and changed nothing (application/retry.py).
        assert set(statuses) <= {("PATCH", 200), ("PATCH", 409), ("DELETE", 404)}, statuses
        assert statuses["DELETE", 404] == PATIENTS * ROUNDS and statuses["PATCH", 200] >= PATIENTS, statuses
        assert server.stop() == 0  # a clean stop writes every worker's queued events
        events = list(await scene.container.audit_events().all_events())
        report = await scene.container.audit_events().verify()
    finally:
        await scene.close()
    assert report.valid, [b.describe() for b in report.breaks]
    served = [e for e in events if e.entry.context.request_id]  # what the server wrote, not the scene
    updates = [e for e in served if (e.entry.action, e.entry.outcome) == (AuditAction.UPDATE, AuditOutcome.SUCCESS)]
    refusals = [e for e in served if (e.entry.action, e.entry.outcome) == (AuditAction.DELETE, AuditOutcome.NOT_FOUND)]
    # Exactly one event per acknowledged change, and one per refusal.
    acknowledged = Counter(int(r.request.url.path.split("/")[2]) for r in responses
                           if r.request.method == "PATCH" and r.status_code == 200)
    assert Counter(e.entry.patient_ids[0] for e in updates) == acknowledged
    assert len(refusals) == PATIENTS * ROUNDS
    processes = {e.chain.rsplit(".", 1)[0] for e in served}
    chains = {e.chain for e in served}
    print(f"{dict(statuses)}; {len(served)} events from {len(processes)} worker processes on {len(chains)} chains")
    assert len(processes) >= 2  # the load spread over several workers, each writing chains of its own
