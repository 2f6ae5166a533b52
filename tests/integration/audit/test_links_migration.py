"""Migration 0008 rebuilds audit_event_patients without its foreign key (on SQLite a new table): the
events stored before it keep their patient links, still verify, and the links stay append-only."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from hospital.bootstrap import shutdown
from hospital.domain.audit import ActorRole, AuditAction, AuditEntry, ResourceType
from hospital.entrypoints.migrations import downgrade, upgrade
from tests.conftest import make_settings
from tests.integration.operations.test_migration_drift import empty_database  # noqa: F401 - a fixture
from tests.support.backends import production_container

PATIENTS = [(), (7,), (3, 11, 42)]


async def test_links_stored_before_the_migration_are_kept_and_verify(empty_database: str,  # noqa: F811
                                                                     tmp_path: Path) -> None:
    upgrade(empty_database, "0007")
    container = production_container(make_settings(tmp_path, database_url=empty_database,
                                                   media_root=tmp_path / "media"))
    try:
        async with container.unit_of_work() as uow:
            for ids in PATIENTS:
                await uow.audit.append(AuditEntry(AuditAction.SEARCH, ResourceType.APPOINTMENT, patient_ids=ids,
                                                  actor_user_id=1, actor_role=ActorRole.DOCTOR))
            await uow.commit()
        await container.engine().dispose()
        upgrade(empty_database, "head")

        events = await container.audit_events().all_events()
        assert [event.entry.patient_ids for event in events] == PATIENTS
        assert (await container.audit_events().verify()).valid
        for statement in ("UPDATE audit_event_patients SET patient_id = 99", "DELETE FROM audit_event_patients"):
            with pytest.raises(DBAPIError, match="append-only"):
                async with container.engine().begin() as connection:
                    await connection.execute(text(statement))
        await container.engine().dispose()

        downgrade(empty_database, "0007")  # and back: the key again, over the same links
        assert [event.entry.patient_ids for event in await container.audit_events().all_events()] == PATIENTS
    finally:
        await shutdown(container)
