"""PostgreSQL: a batch of buffered events (reads, refusals) is one statement in a driver transaction
(driver_transactions.py: BEGIN, the statement, COMMIT on the direct reader's asyncpg pool), with no
ORM session around it. Through the session it was four round trips (BEGIN, the statement, the
transaction id's SELECT, COMMIT), each through SQLAlchemy's greenlet; a batch's loop time was
mostly that, at the 10-100 events a batch holds under load (bench/findings.md)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from hospital.adapters.audit_log import BufferedAuditLog
from hospital.adapters.sqlalchemy.audit import _PG_BATCH, _pg_batch
from hospital.adapters.sqlalchemy.lost_commits import TRANSACTION_ID
from hospital.adapters.sqlalchemy.prepared import PreparedQuery
from hospital.bootstrap import Container
from hospital.domain.audit import ActorRole, AuditAction, AuditEntry, ResourceType
from tests.support.sql_statements import counted_statements

_XACT = PreparedQuery(text("SELECT CAST(CAST(pg_current_xact_id() AS text) AS bigint) AS xact"))


def read(patient: int) -> AuditEntry:
    return AuditEntry(AuditAction.READ, ResourceType.PATIENT, resource_id=patient, patient_ids=(patient,),
                      actor_user_id=patient, actor_role=ActorRole.PATIENT)


@pytest.fixture
def postgres(sql_container: Container) -> Container:
    if sql_container.engine().dialect.name != "postgresql":
        pytest.skip("the batch's driver statement is PostgreSQL's (SQLite's runs on the writer's thread)")
    return sql_container


async def test_a_batch_is_one_driver_statement_and_nothing_through_the_session(postgres: Container) -> None:
    log = BufferedAuditLog(postgres.unit_of_work, "batched", interval=3600)
    for patient in range(1, 41):
        await log.record(read(patient))
    with counted_statements(postgres.engine().sync_engine) as through_session, \
            counted_statements(postgres.driver_transactions()) as on_driver:
        await log.flush()
    assert through_session == []
    assert len(on_driver) == 1 and "INSERT INTO audit_events" in on_driver[0], on_driver
    events = list(await postgres.audit_events().all_events())
    assert sorted(event.entry.patient_ids[0] for event in events) == list(range(1, 41))
    assert [event.seq for event in events] == list(range(1, 41))
    assert (await postgres.audit_events().verify()).valid


async def test_the_batch_statement_tells_its_transactions_id(postgres: Container) -> None:
    """The id that settles a COMMIT lost on its way (lost_commits.py): the driver transaction learns
    it from the statement's last column, as it does from a booking's INSERT."""
    async with postgres.unit_of_work() as uow:
        events = uow.audit._sealed([read(1), read(2)])
        (row,) = await uow.write(_PG_BATCH, {"events": _pg_batch(events), "recorded_at": events[0].recorded_at,
                                             "chain": events[0].chain})
        (same,) = await uow.write(_XACT, {})
        await uow.commit()
    assert isinstance(row[TRANSACTION_ID], int) and row[TRANSACTION_ID] == same["xact"]
    assert len(list(await postgres.audit_events().all_events())) == 2
