"""`hospital audit verify` and `hospital audit prune`, on the test database, as an operator runs them."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dependency_injector import providers

from hospital.adapters.audit_lanes import AuditLanes
from hospital.adapters.clock import FixedClock
from hospital.bootstrap import build_container, shutdown
from hospital.domain.audit import ActorRole, AuditAction, AuditEntry, ResourceType
from hospital.entrypoints.cli import main
from hospital.settings import Settings
from tests.conftest import TEST_SECRET
from tests.support.audit_tampering import tamper


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Settings:
    for name in [name for name in os.environ if name.startswith("HOSPITAL_") and name != "HOSPITAL_TEST_DATABASE_URL"]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOSPITAL_ENV", "test")
    monkeypatch.setenv("HOSPITAL_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("HOSPITAL_DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    return Settings.from_env()


async def run(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def write(settings: Settings, count: int, *, at: datetime | None = None) -> list:
    """``count`` events on a chain of a process of their own (a restart), recorded ``at`` (now by default)."""
    container = build_container(settings)
    container.audit_lanes.override(providers.Singleton(AuditLanes))
    if at is not None:
        container.clock.override(providers.Object(FixedClock(at)))
    try:
        async with container.unit_of_work() as uow:
            for n in range(count):
                await uow.audit.append(AuditEntry(AuditAction.READ, ResourceType.PATIENT, patient_ids=(n + 1,),
                                                  actor_user_id=1, actor_role=ActorRole.ADMIN))
            await uow.commit()
        events = [e for e in await container.audit_events().all_events()]
    finally:
        await shutdown(container)
    return events


async def test_an_untouched_log_verifies(environment: Settings, capsys) -> None:
    await write(environment, 3)
    assert await run("audit", "verify", "--heads") == 0
    out = capsys.readouterr().out
    assert "audit log verified: 3 events in 1 chains" in out and out.startswith("head ")


@pytest.mark.parametrize(("how", "problem"), [("change", "was changed"), ("delete", "follows removed events"),
                                              ("reorder", "is out of order")])
async def test_a_tampered_log_fails_naming_the_event(environment: Settings, capsys, how: str, problem: str) -> None:
    events = await write(environment, 4)
    first, second = events[1], events[2]
    statements = {
        "change": [f"UPDATE audit_events SET actor_user_id = 2 WHERE id = '{first.id}'"],
        "delete": [f"DELETE FROM audit_event_patients WHERE event_id = '{first.id}'",
                   f"DELETE FROM audit_events WHERE id = '{first.id}'"],
        "reorder": [f"UPDATE audit_events SET seq = -1 WHERE id = '{first.id}'",
                    f"UPDATE audit_events SET seq = {first.seq} WHERE id = '{second.id}'",
                    f"UPDATE audit_events SET seq = {second.seq} WHERE id = '{first.id}'"],
    }[how]
    container = build_container(environment)
    try:
        await tamper(container.engine(), statements)
    finally:
        await shutdown(container)
    assert await run("audit", "verify") == 1
    err = capsys.readouterr().err
    named = second if how != "change" else first
    assert f"(id {named.id}) {problem}" in err, err


async def test_prune_deletes_old_chains_whole_and_the_rest_verifies(environment: Settings, capsys) -> None:
    await write(environment, 3, at=datetime.now(UTC) - timedelta(days=10))
    await write(environment, 2)
    assert await run("audit", "prune", "--older-than", "5") == 0
    assert "pruned 3 audit events" in capsys.readouterr().out
    assert await run("audit", "verify") == 0
    assert "2 events in 1 chains" in capsys.readouterr().out
    assert await run("audit", "prune") == 0  # the default retention, six years
    assert "pruned 0 audit events" in capsys.readouterr().out


async def test_prune_refuses_a_retention_that_could_cut_a_live_chain(environment: Settings, capsys) -> None:
    assert await run("audit", "prune", "--older-than", "1") == 1
    assert "Keep at least 2 days" in capsys.readouterr().err
