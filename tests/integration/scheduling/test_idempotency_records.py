"""IdempotencyRecords and the unit of work's hook (application/idempotency.py), on every store: a
pending key's record commits with the write it answers, once per key."""

from __future__ import annotations

import pytest

from hospital.application.ports.idempotency import IdempotentRequest, KeyInUseError, pending_request
from hospital.domain.schedules import AvailableTime

REQUEST = IdempotentRequest.of("user:1", "key-1", "POST", "/appointments/", b"{}")


async def write_something(container, label: str = "09:00-10:00") -> None:
    async with container.unit_of_work() as uow:
        await uow.available_times.add(AvailableTime.create(time=label))
        await uow.commit()


async def test_the_pending_key_commits_with_the_write_and_is_completed_after(any_container):
    token = pending_request.set(REQUEST)
    try:
        await write_something(any_container)
    finally:
        pending_request.reset(token)
    async with any_container.unit_of_work() as uow:
        found = await uow.idempotency.find("user:1", "key-1")
    assert (found.fingerprint, found.pending) == (REQUEST.fingerprint, True)
    async with any_container.unit_of_work() as uow:
        await uow.idempotency.complete(REQUEST, 201, '{"id": 1}')
        await uow.commit()
    async with any_container.unit_of_work() as uow:
        found = await uow.idempotency.find("user:1", "key-1")
        assert await uow.idempotency.find("user:2", "key-1") is None
    assert (found.status_code, found.body) == (201, '{"id": 1}')


async def test_a_unit_that_writes_nothing_leaves_the_key_pending_for_the_next(any_container):
    token = pending_request.set(REQUEST)
    try:
        async with any_container.unit_of_work() as uow:
            await uow.commit()
        assert pending_request.get() == REQUEST
    finally:
        pending_request.reset(token)


async def test_a_second_write_with_the_same_key_is_refused_and_rolled_back(any_container):
    for label in ("09:00-10:00", "11:00-12:00"):
        token = pending_request.set(REQUEST)
        try:
            if label == "09:00-10:00":
                await write_something(any_container, label)
            else:
                with pytest.raises(KeyInUseError):
                    await write_something(any_container, label)
        finally:
            pending_request.reset(token)
    labels = [time.time for time in await any_container.read_side().available_times.list()]
    assert labels == ["09:00-10:00"]
