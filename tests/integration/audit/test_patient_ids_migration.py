"""Migration 0007 moves an event's patients into its row: the events stored before it keep their
patients (filled in from their links) and still verify; after it, the links are still written."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from hospital.bootstrap import shutdown
from hospital.domain.audit import ActorRole, AuditAction, AuditEntry, ChainProblem, ResourceType
from hospital.entrypoints.migrations import downgrade, upgrade
from tests.conftest import make_settings
from tests.integration.operations.test_migration_drift import empty_database  # noqa: F401 - a fixture
from tests.support.audit_tampering import tamper
from tests.support.backends import production_container

PATIENTS = [(), (7,), (3, 11, 42)]


async def test_events_stored_before_the_migration_keep_their_patients_and_verify(empty_database: str,  # noqa: F811
                                                                                   tmp_path: Path) -> None:
    upgrade(empty_database, "head")
    container = production_container(make_settings(tmp_path, database_url=empty_database,
                                                   media_root=tmp_path / "media"))
    try:
        async with container.unit_of_work() as uow:
            for ids in PATIENTS:
                await uow.audit.append(AuditEntry(AuditAction.SEARCH, ResourceType.APPOINTMENT, patient_ids=ids,
                                                  actor_user_id=1, actor_role=ActorRole.DOCTOR))
            await uow.commit()
        await container.engine().dispose()
        downgrade(empty_database, "0006")  # the events as 0006 stored them: their patients as links only
        upgrade(empty_database, "head")

        events = await container.audit_events().all_events()
        assert [event.entry.patient_ids for event in events] == PATIENTS
        assert (await container.audit_events().verify()).valid
        async with container.engine().connect() as connection:
            links = (await connection.execute(text("SELECT count(*) FROM audit_event_patients"))).scalar_one()
        assert links == sum(len(ids) for ids in PATIENTS)

        # The row's copy is covered too: changed, its event is named.
        changed = f"UPDATE audit_events SET patient_ids = '[3,11]' WHERE id = '{events[2].id}'"
        await tamper(container.engine(), [changed])
        report = await container.audit_events().verify()
        assert [(b.event_id, b.problem) for b in report.breaks] == [(events[2].id, ChainProblem.CHANGED)]
    finally:
        await shutdown(container)
