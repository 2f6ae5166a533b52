"""The write side's one retry policy (application/retry.py), on its own and in the commands that use it
(in memory: units of work run side by side there, as on PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest

from hospital.adapters.memory.appointments import InMemoryAppointmentRepository
from hospital.application.appointments import AppointmentChanges, Booking
from hospital.application.errors import (
    CommitOutcomeUnknownError,
    ConcurrentChangeError,
    ConnectionLostError,
    ServiceUnavailableError,
)
from hospital.application.retry import ATTEMPTS, rerun_on_concurrent_change
from hospital.domain.appointments import AppointmentStatus
from hospital.domain.errors import NotFoundError, ValidationError
from tests.support.clinic import cast


def _losing(times: int, result: str = "done", error: type[Exception] = ConcurrentChangeError):
    calls: list[int] = []

    @rerun_on_concurrent_change
    async def unit(value: int) -> str:
        calls.append(value)
        if len(calls) <= times:
            raise error()
        return result

    return unit, calls


async def test_a_unit_that_lost_races_runs_again_from_the_start() -> None:
    unit, calls = _losing(ATTEMPTS - 1)
    assert await unit(7) == "done"
    assert calls == [7] * ATTEMPTS


async def test_a_unit_that_keeps_losing_gives_up_with_the_concurrent_change() -> None:
    unit, calls = _losing(ATTEMPTS)
    with pytest.raises(ConcurrentChangeError):
        await unit(1)
    assert len(calls) == ATTEMPTS


async def test_any_other_failure_is_not_retried() -> None:
    calls = []

    @rerun_on_concurrent_change
    async def unit() -> None:
        calls.append(1)
        raise NotFoundError()

    with pytest.raises(NotFoundError):
        await unit()
    assert calls == [1]


async def test_a_unit_whose_connection_was_lost_before_its_commit_runs_again() -> None:
    # The session's end rolled the work back: running it again on a new connection does it once.
    unit, calls = _losing(ATTEMPTS - 1, error=ConnectionLostError)
    assert await unit(3) == "done"
    assert calls == [3] * ATTEMPTS


async def test_a_unit_that_keeps_losing_its_connection_gives_up_with_503() -> None:
    unit, calls = _losing(ATTEMPTS, error=ConnectionLostError)
    with pytest.raises(ConnectionLostError) as raised:
        await unit(1)
    assert isinstance(raised.value, ServiceUnavailableError)  # 503 with Retry-After
    assert len(calls) == ATTEMPTS


async def test_lost_races_and_lost_connections_share_the_attempts() -> None:
    calls = []

    @rerun_on_concurrent_change
    async def unit() -> None:
        calls.append(1)
        raise (ConcurrentChangeError if len(calls) % 2 else ConnectionLostError)()

    last = ConcurrentChangeError if ATTEMPTS % 2 else ConnectionLostError  # the last run's failure is raised
    with pytest.raises(last):
        await unit()
    assert len(calls) == ATTEMPTS


@pytest.mark.parametrize("error", [
    CommitOutcomeUnknownError,  # lost during the COMMIT: it may have committed, so never twice
    ServiceUnavailableError,  # the database refuses connections: running again cannot help
])
async def test_a_unit_that_may_have_committed_or_cannot_reach_the_database_is_not_run_again(error) -> None:
    unit, calls = _losing(1, error=error)
    with pytest.raises(error):
        await unit(1)
    assert calls == [1]


async def test_a_cancelled_caller_is_not_run_again() -> None:
    calls = []
    started = asyncio.Event()

    @rerun_on_concurrent_change
    async def unit() -> None:
        calls.append(1)
        started.set()
        await asyncio.sleep(10)

    task = asyncio.create_task(unit())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert calls == [1]


async def test_a_unit_cancelled_as_its_connection_failed_is_not_run_again() -> None:
    # The connection's failure and the caller's cancellation together: the cancellation goes through.
    calls = []

    @rerun_on_concurrent_change
    async def unit() -> None:
        calls.append(1)
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            raise ConnectionLostError() from None  # what a unit's cleanup may raise on a dead connection
        raise AssertionError("not reached")

    task = asyncio.create_task(unit())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises((asyncio.CancelledError, ConnectionLostError)):
        await task
    assert calls == [1]


@pytest.fixture
def both_read_before_either_writes(monkeypatch: pytest.MonkeyPatch):
    """The first load of each of two requests waits for the other's: the race happens every time."""
    barrier = asyncio.Barrier(2)
    loads = {"count": 0}
    original = InMemoryAppointmentRepository.get

    async def get_then_wait(self, appointment_id: int):
        appointment = await original(self, appointment_id)
        loads["count"] += 1
        if loads["count"] <= 2:
            await asyncio.wait_for(barrier.wait(), timeout=5)
        return appointment

    monkeypatch.setattr(InMemoryAppointmentRepository, "get", get_then_wait)
    return loads


async def test_a_status_move_racing_a_cancel_is_judged_on_the_winner_s_row(container, both_read_before_either_writes):
    people = await cast(container)
    booked = await container.book_appointment()(people.owner, Booking(
        doctor=people.doctor.doctor_id, time=people.doctor_times[0], appointment_type="Online"))
    change = container.change_appointment()
    results = await asyncio.gather(
        change(people.doctor, booked.id, AppointmentChanges(appointment_status="Runing")),
        change(people.owner, booked.id, AppointmentChanges(cancel=True)),
        return_exceptions=True,
    )
    refused = [result for result in results if isinstance(result, ValidationError)]
    assert len(refused) == 1 and len(results) - len(refused) == 1, results
    assert both_read_before_either_writes["count"] == 3  # the loser loaded again
    final = await container.get_appointment()(people.admin, booked.id)
    assert not (final.cancel and final.appointment_status == AppointmentStatus.RUNNING)


async def test_a_change_racing_a_delete_is_not_found(container, both_read_before_either_writes):
    people = await cast(container)
    booked = await container.book_appointment()(people.owner, Booking(
        doctor=people.doctor.doctor_id, time=people.doctor_times[0], appointment_type="Online"))
    results = await asyncio.gather(
        container.change_appointment()(people.owner, booked.id, AppointmentChanges(symptoms="fever")),
        container.delete_appointment()(people.owner, booked.id),
        return_exceptions=True,
    )
    changed, deleted = results
    assert deleted is None  # a delete that lost to the change runs again and deletes the changed row
    assert isinstance(changed, NotFoundError) or changed.symptoms == "fever"
    with pytest.raises(NotFoundError):
        await container.get_appointment()(people.admin, booked.id)


async def test_runs_are_spread_by_a_random_wait_in_a_doubling_window(monkeypatch) -> None:
    from hospital.application import retry

    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(retry.asyncio, "sleep", sleep)
    unit, calls = _losing(ATTEMPTS - 1)
    assert await unit(1) == "done"
    assert len(calls) == ATTEMPTS
    assert len(waits) == ATTEMPTS - 1  # between runs only: none before the first or after the last
    for run, wait in enumerate(waits):
        assert 0 <= wait <= retry.BACKOFF_SECONDS * 2 ** run


def test_the_wait_is_random_within_its_window() -> None:
    from hospital.application.retry import BACKOFF_SECONDS, backoff

    waits = {backoff(2) for _ in range(200)}
    assert len(waits) > 100  # two losers of one race rarely wait the same time
    assert all(0 <= wait <= BACKOFF_SECONDS * 4 for wait in waits)
    assert max(waits) > BACKOFF_SECONDS * 2  # the window did double


async def test_no_wait_after_a_unit_that_succeeds_or_fails_for_good(monkeypatch) -> None:
    from hospital.application import retry

    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(retry.asyncio, "sleep", sleep)
    unit, _ = _losing(0)
    assert await unit(1) == "done"
    refused, _ = _losing(1, error=ValueError)
    with pytest.raises(ValueError):
        await refused(1)
    assert waits == []
