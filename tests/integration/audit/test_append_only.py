"""The database itself refuses to change or delete audit events (migration 0006), except in a
transaction holding a prune permit; and what is changed behind its back, verification names."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from hospital.bootstrap import Container
from hospital.domain.audit import ActorRole, AuditAction, AuditEntry, ChainProblem, ResourceType
from tests.support.audit_tampering import tamper


async def write_chain(container: Container, count: int) -> list:
    async with container.unit_of_work() as uow:
        for n in range(count):
            await uow.audit.append(AuditEntry(AuditAction.READ, ResourceType.PATIENT, patient_ids=(n + 1,),
                                              actor_user_id=1, actor_role=ActorRole.ADMIN))
        await uow.commit()
    return list(await container.audit_events().all_events())


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET outcome = 'denied'",
    "DELETE FROM audit_events",
    "UPDATE audit_event_patients SET patient_id = 99",
    "DELETE FROM audit_event_patients",
])
async def test_updates_and_deletes_are_refused(sql_container: Container, statement: str) -> None:
    await write_chain(sql_container, 2)
    with pytest.raises(DBAPIError, match="append-only"):
        async with sql_container.engine().begin() as connection:
            await connection.execute(text(statement))
    assert len(await sql_container.audit_events().all_events()) == 2


async def test_truncate_is_refused_on_postgresql(sql_container: Container) -> None:
    if sql_container.engine().dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    await write_chain(sql_container, 1)
    with pytest.raises(DBAPIError, match="append-only"):
        async with sql_container.engine().begin() as connection:
            await connection.execute(text("TRUNCATE audit_event_patients, audit_events"))


async def test_a_transaction_holding_a_permit_may_delete(sql_container: Container) -> None:
    await write_chain(sql_container, 2)
    async with sql_container.engine().begin() as connection:
        await connection.execute(text("INSERT INTO audit_prune_permits (id) VALUES (1)"))
        await connection.execute(text("DELETE FROM audit_event_patients"))
        await connection.execute(text("DELETE FROM audit_events"))
        await connection.execute(text("DELETE FROM audit_prune_permits"))
    assert await sql_container.audit_events().all_events() == []


async def test_a_changed_row_is_named(sql_container: Container) -> None:
    events = await write_chain(sql_container, 4)
    await tamper(sql_container.engine(), [f"UPDATE audit_events SET actor_role = 'doctor' WHERE id = '{events[2].id}'"])
    report = await sql_container.audit_events().verify()
    assert [(b.event_id, b.problem) for b in report.breaks] == [(events[2].id, ChainProblem.CHANGED)]


async def test_a_changed_patient_link_is_named(sql_container: Container) -> None:
    events = await write_chain(sql_container, 3)
    await tamper(sql_container.engine(), [f"DELETE FROM audit_event_patients WHERE event_id = '{events[1].id}'"])
    report = await sql_container.audit_events().verify()
    assert [(b.event_id, b.problem) for b in report.breaks] == [(events[1].id, ChainProblem.CHANGED)]


async def test_a_deleted_row_is_named(sql_container: Container) -> None:
    events = await write_chain(sql_container, 4)
    await tamper(sql_container.engine(), [f"DELETE FROM audit_event_patients WHERE event_id = '{events[1].id}'",
                                          f"DELETE FROM audit_events WHERE id = '{events[1].id}'"])
    report = await sql_container.audit_events().verify()
    assert [(b.event_id, b.problem) for b in report.breaks] == [(events[2].id, ChainProblem.REMOVED)]


async def test_reordered_rows_are_named(sql_container: Container) -> None:
    events = await write_chain(sql_container, 4)
    first, second = events[1], events[2]
    await tamper(sql_container.engine(), [
        f"UPDATE audit_events SET seq = -1 WHERE id = '{first.id}'",
        f"UPDATE audit_events SET seq = {first.seq} WHERE id = '{second.id}'",
        f"UPDATE audit_events SET seq = {second.seq} WHERE id = '{first.id}'",
    ])
    report = await sql_container.audit_events().verify()
    assert [(b.event_id, b.seq, b.problem) for b in report.breaks] == [(second.id, 2, ChainProblem.OUT_OF_ORDER)]


async def test_an_untouched_log_verifies(sql_container: Container) -> None:
    events = await write_chain(sql_container, 5)
    report = await sql_container.audit_events().verify()
    assert report.valid and report.events == 5 and report.heads[0].hash == events[-1].hash


async def test_verification_walks_in_batches_across_chains(sql_container: Container,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from hospital.adapters.audit_lanes import AuditLanes
    from hospital.adapters.sqlalchemy import audit

    monkeypatch.setattr(audit, "_VERIFY_BATCH", 3)
    await write_chain(sql_container, 4)
    sql_container.audit_lanes.override(AuditLanes())
    events = [e for e in await write_chain(sql_container, 5) if e.seq == 5]
    report = await sql_container.audit_events().verify()
    assert report.valid and report.events == 9 and len(report.heads) == 2
    await tamper(sql_container.engine(), [f"UPDATE audit_events SET outcome = 'denied' WHERE id = '{events[0].id}'"])
    assert [b.event_id for b in (await sql_container.audit_events().verify()).breaks] == [events[0].id]
