"""The audit log's contract (application/ports/audit.py) on every store, built as production builds it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hospital.adapters.audit_log import BufferedAuditLog
from hospital.adapters.sqlalchemy.audit import SqlAlchemyAuditEvents
from hospital.application.pagination import PageRequest
from hospital.application.ports.audit import AuditFilter
from hospital.bootstrap import Container, shutdown
from hospital.domain.audit import (
    ActorRole,
    AuditAction,
    AuditEntry,
    AuditOutcome,
    RequestContext,
    ResourceType,
)
from tests.support.backends import production_container

FULL = AuditEntry(
    action=AuditAction.SEARCH, resource_type=ResourceType.APPOINTMENT, outcome=AuditOutcome.SUCCESS,
    resource_id=None, patient_ids=(3, 7, 2**31 - 1), actor_user_id=12, actor_role=ActorRole.DOCTOR,
    username=None, filters=(("doctor", "5"), ("limits", "10")),
    context=RequestContext("2001:db8::1", "req-1", "Mozilla/5.0 (X11) é 日本"),
)


def entry(patient: int | None = 1, *, user: int | None = 1, action: AuditAction = AuditAction.UPDATE,
          outcome: AuditOutcome = AuditOutcome.SUCCESS) -> AuditEntry:
    return AuditEntry(action, ResourceType.PATIENT, outcome, resource_id=patient,
                      patient_ids=() if patient is None else (patient,), actor_user_id=user,
                      actor_role=ActorRole.PATIENT if user else ActorRole.ANONYMOUS)


async def stored(container: Container) -> list:
    return list(await container.audit_events().all_events())


async def test_events_are_stored_exactly_as_sealed(any_container: Container) -> None:
    async with any_container.unit_of_work() as uow:
        written = await uow.audit.append(FULL)
        await uow.commit()
    (event,) = await stored(any_container)
    assert event == written
    assert event.recorded_at.tzinfo is not None
    assert (await any_container.audit_events().verify()).valid


async def test_a_batch_stores_each_event_exactly_as_sealed(any_container: Container) -> None:
    """A batch (the buffered reads) is written by other statements than a single event: the same rows."""
    anonymous = AuditEntry(AuditAction.READ, ResourceType.REVIEW, resource_id=5, patient_ids=(9,))
    # Text as a caller may send it (quotes, backslashes, control characters, JSON of its own), ids at
    # the ends of 64 bits: the batch's statement carries it as JSON on PostgreSQL.
    odd = AuditEntry(AuditAction.LOGIN, ResourceType.USER, AuditOutcome.DENIED, resource_id=2**63 - 1,
                     patient_ids=(-(2**63), 2**63 - 1), actor_user_id=-(2**63), username='a"b\\c\n\t{"x": [1]}',
                     filters=(("search", '"]},\\'),), context=RequestContext(None, "", "\x7f\u00e9\U0001f600"))
    async with any_container.unit_of_work() as uow:
        sealed = await uow.audit.append_many([FULL, anonymous, odd, FULL, entry(None, user=None)])
        await uow.commit()
    events = await stored(any_container)
    assert [(e.id, e.recorded_at, e.chain, e.seq, e.prev_hash, e.hash, e.entry) for e in events] == [
        (e.id, e.recorded_at, e.chain, e.seq, e.prev_hash, e.hash, e.entry) for e in sealed]
    assert (await any_container.audit_events().verify()).valid


async def test_a_units_events_are_stored_if_and_only_if_it_commits(any_container: Container) -> None:
    async with any_container.unit_of_work() as uow:
        await uow.audit.append(entry(1))
    with pytest.raises(RuntimeError):
        async with any_container.unit_of_work() as uow:
            await uow.audit.append(entry(2))
            raise RuntimeError("the change failed")
    async with any_container.unit_of_work() as uow:
        await uow.audit.append(entry(3))
        await uow.audit.append(entry(4))
        await uow.commit()
    events = await stored(any_container)
    assert [e.entry.patient_ids for e in events] == [(3,), (4,)]
    assert [e.seq for e in events] == [1, 2]
    assert (await any_container.audit_events().verify()).valid


async def test_concurrent_units_some_failing_leave_chains_without_gaps(any_container: Container) -> None:
    async def unit(number: int) -> None:
        async with any_container.unit_of_work() as uow:
            await uow.audit.append(entry(number))
            await asyncio.sleep(0.001 * (number % 3))
            await uow.audit.append(entry(number))
            if number % 4 == 0:
                return  # not committed
            await uow.commit()

    await asyncio.gather(*(unit(n) for n in range(1, 25)))
    await asyncio.gather(*(unit(n) for n in range(25, 40)))
    events = await stored(any_container)
    assert sorted({e.entry.patient_ids[0] for e in events}) == [n for n in range(1, 40) if n % 4]
    report = await any_container.audit_events().verify()
    assert report.valid and report.events == len(events)
    assert len({e.chain for e in events}) > 1  # concurrent units wrote on lanes of their own


async def test_batched_reads_are_written_by_interval_size_and_at_close(any_container: Container) -> None:
    log = BufferedAuditLog(any_container.unit_of_work, "batched", interval=0.05, batch_size=10)
    for n in range(25):
        await log.record(entry(n + 1, action=AuditAction.READ))
    await asyncio.sleep(0)  # a full batch is written at once, not after the interval
    for _ in range(100):
        if log.queued < 10:
            break
        await asyncio.sleep(0.01)
    assert log.queued < 10
    await log.record(entry(99, action=AuditAction.READ))
    await log.close()
    events = await stored(any_container)
    assert len(events) == 26 and log.queued == 0
    assert (await any_container.audit_events().verify()).valid


async def test_a_batch_whose_unit_fails_is_kept_and_written_whole_on_an_unbroken_chain(
        any_container: Container) -> None:
    """The batch's statement ran and its unit then failed before committing: nothing of it is
    stored, its lane stays where it was, and the next flush writes the same events, each once."""
    failures = [RuntimeError("the connection broke before the COMMIT")]

    def failing_once() -> Any:
        uow = any_container.unit_of_work()
        commit = uow.commit

        async def commit_unless_failing() -> None:
            if failures:
                raise failures.pop()
            await commit()

        uow.commit = commit_unless_failing
        return uow

    log = BufferedAuditLog(failing_once, "batched", interval=3600, batch_size=100)
    for n in range(1, 31):
        await log.record(entry(n, action=AuditAction.SEARCH))
    with pytest.raises(RuntimeError):
        await log.flush()
    assert log.queued == 30 and await stored(any_container) == []
    await log.close()
    events = await stored(any_container)
    assert sorted(e.entry.patient_ids[0] for e in events) == list(range(1, 31))
    assert [e.seq for e in events] == list(range(1, 31)) and len({e.chain for e in events}) == 1
    assert (await any_container.audit_events().verify()).valid


async def test_several_workers_batches_and_changes_at_once_leave_every_chain_valid(any_container: Container) -> None:
    """Two processes' logs (each its own lanes) batching reads while units of work write changes,
    all on one database at once: every event stored once, every chain verifies."""
    if not isinstance(any_container.audit_events(), SqlAlchemyAuditEvents):
        pytest.skip("an in-memory store is one process's own")
    other = production_container(any_container.settings())
    logs = [BufferedAuditLog(container.unit_of_work, "batched", interval=0.01, batch_size=7)
            for container in (any_container, other)]

    async def reads(log: BufferedAuditLog, first: int) -> None:
        for n in range(first, first + 60):
            await log.record(entry(n, action=AuditAction.SEARCH))
            if n % 4 == 0:
                await asyncio.sleep(0)

    async def change(container: Container, n: int) -> None:
        async with container.unit_of_work() as uow:
            await uow.audit.append(entry(n))
            await uow.commit()

    try:
        await asyncio.gather(reads(logs[0], 1), reads(logs[1], 1001),
                             *(change(container, n) for n in range(2001, 2021) for container in (any_container, other)))
        for log in logs:
            await log.close()
    finally:
        await shutdown(other)
    events = await stored(any_container)
    assert len(events) == 160 and len({e.id for e in events}) == 160
    processes = {e.chain.rsplit(".", 1)[0] for e in events}
    assert len(processes) == 2
    report = await any_container.audit_events().verify()
    assert report.valid and report.events == 160


async def test_sync_mode_stores_before_returning_and_off_keeps_only_what_is_not_a_plain_read(
        any_container: Container) -> None:
    sync = BufferedAuditLog(any_container.unit_of_work, "sync")
    await sync.record(entry(1, action=AuditAction.READ))
    assert len(await stored(any_container)) == 1
    off = BufferedAuditLog(any_container.unit_of_work, "off")
    await off.record(entry(2, action=AuditAction.READ))
    await off.record(entry(3, action=AuditAction.SEARCH))
    await off.record(entry(4, action=AuditAction.READ, outcome=AuditOutcome.NOT_FOUND))
    await off.record(entry(None, action=AuditAction.LOGIN, outcome=AuditOutcome.DENIED))
    await off.close()
    assert [e.entry.action for e in await stored(any_container)].count(AuditAction.READ) == 2
    assert len(await stored(any_container)) == 3


async def test_the_container_log_is_flushed_at_shutdown_by_its_close(any_container: Container) -> None:
    log = any_container.audit_log()
    assert log.mode == "batched"
    await log.record(entry(5, action=AuditAction.READ))
    await log.close()
    assert len(await stored(any_container)) == 1


async def test_lists_filter_and_page_newest_first(any_container: Container) -> None:
    clock = any_container.clock()
    for patient, user, action, outcome in [(1, 10, AuditAction.READ, AuditOutcome.SUCCESS),
                                           (2, 10, AuditAction.UPDATE, AuditOutcome.SUCCESS),
                                           (1, 11, AuditAction.READ, AuditOutcome.NOT_FOUND),
                                           (None, None, AuditAction.LOGIN, AuditOutcome.DENIED)]:
        async with any_container.unit_of_work() as uow:
            await uow.audit.append(entry(patient, user=user, action=action, outcome=outcome))
            await uow.commit()
        await asyncio.sleep(0.002)  # distinct times
    del clock
    events = any_container.audit_events()
    everything = await events.list(page=PageRequest(1, 10), where=AuditFilter())
    assert everything.total == 4 and everything.items[0].entry.action is AuditAction.LOGIN
    times = [e.recorded_at for e in everything.items]
    assert times == sorted(times, reverse=True)

    async def ids(**where) -> list:
        page = await events.list(page=PageRequest(1, 10), where=AuditFilter(**where))
        return [(e.entry.patient_ids, e.entry.actor_user_id, e.entry.outcome) for e in page.items]

    assert await ids(patient_id=1) == [((1,), 11, AuditOutcome.NOT_FOUND), ((1,), 10, AuditOutcome.SUCCESS)]
    assert await ids(user_id=10) == [((2,), 10, AuditOutcome.SUCCESS), ((1,), 10, AuditOutcome.SUCCESS)]
    assert await ids(action=AuditAction.READ, outcome=AuditOutcome.SUCCESS) == [((1,), 10, AuditOutcome.SUCCESS)]
    middle = everything.items[2].recorded_at
    assert len(await ids(since=middle)) == 3 and len(await ids(until=middle)) == 1
    second = await events.list(page=PageRequest(2, 3), where=AuditFilter())
    assert second.total == 4 and [e.id for e in second.items] == [everything.items[3].id]


async def test_prune_removes_whole_old_chains_and_what_remains_verifies(any_container: Container) -> None:
    old_lanes = any_container.audit_lanes()
    async with any_container.unit_of_work() as uow:
        await uow.audit.append(entry(1))
        await uow.audit.append(entry(2))
        await uow.commit()
    old_chain = (await stored(any_container))[0].chain
    # A new process's chain: what a restart gives.
    any_container.audit_lanes.override(type(old_lanes)())
    async with any_container.unit_of_work() as uow:
        await uow.audit.append(entry(3))
        await uow.commit()
    any_container.audit_lanes.reset_override()
    events = any_container.audit_events()
    newest_old = max(e.recorded_at for e in await stored(any_container) if e.chain == old_chain)
    cutoff = newest_old + timedelta(microseconds=1)
    assert all(e.recorded_at >= cutoff for e in await stored(any_container) if e.chain != old_chain)
    assert await events.prune(before=cutoff) == 2
    remaining = await stored(any_container)
    assert [e.entry.patient_ids for e in remaining] == [(3,)]
    assert (await events.verify()).valid
    assert await events.prune(before=datetime.now(UTC) - timedelta(days=1)) == 0
