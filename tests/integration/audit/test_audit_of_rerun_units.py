"""A unit of work run again by the retry policy (application/retry.py) leaves exactly one audit event
per committed change: the run that lost (a race, or its connection before COMMIT) sealed an event on
its lane and rolled back, so the lane stayed where it was, the event was never stored, and the run
that committed wrote the only one. Its chain has no gap (it verifies). On every store.

The loss is made by the unit of work's own ``commit``: the first one asked for after ``arm`` fails
as a lost race or a lost connection does, having written nothing, after the use case sealed its
event; on the in-memory store a real competing commit makes the race as well.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from hospital.application.appointments import AppointmentChanges, Booking
from hospital.application.errors import ConcurrentChangeError, ConnectionLostError
from hospital.application.patients import PatientChanges
from hospital.application.retry import ATTEMPTS
from hospital.bootstrap import Container
from hospital.domain.audit import AuditAction, AuditOutcome, ResourceType
from tests.support.actors import register
from tests.support.audit_watch import AuditWatch
from tests.support.clinic import Cast, cast


class LosingCommits:
    """Makes the next ``losses`` COMMITs of the container's units of work fail with ``error``."""

    def __init__(self, container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
        self.losses, self.lost, self.error = 0, 0, ConcurrentChangeError
        self.raced = False  # a real competing commit made the unit's own COMMIT fail
        self._competitor: Callable[[], Awaitable[Any]] | None = None
        unit_class = type(container.unit_of_work())
        real_commit = unit_class.commit
        losing = self

        async def commit(uow: Any) -> None:
            if losing.losses <= 0:
                return await real_commit(uow)
            losing.losses -= 1
            losing.lost += 1
            if losing._competitor is not None:
                await losing._competitor()  # a real race: another unit commits first
                try:
                    return await real_commit(uow)
                except ConcurrentChangeError:
                    losing.raced = True
                    raise
            raise losing.error()

        monkeypatch.setattr(unit_class, "commit", commit)

    def arm(self, losses: int = 1, error: type[Exception] = ConcurrentChangeError,
            competitor: Callable[[], Awaitable[Any]] | None = None) -> None:
        self.losses, self.lost, self.error, self._competitor = losses, 0, error, competitor


async def _book(container: Container, people: Cast, time_index: int = 0) -> int:
    row = await container.book_appointment()(people.owner, Booking(
        doctor=people.doctor.doctor_id, time=people.doctor_times[time_index], appointment_type="Online"))
    return row.id


async def _verified(container: Container) -> None:
    report = await container.audit_events().verify()
    assert report.valid, report
    events = await container.audit_events().all_events()
    for chain in {event.chain for event in events}:
        assert [e.seq for e in events if e.chain == chain] == list(range(1, 1 + sum(
            1 for e in events if e.chain == chain)))


async def _watch(container: Container) -> AuditWatch:
    await container.audit_log().flush()
    return await AuditWatch(container).start()


@pytest.mark.parametrize("error", [ConcurrentChangeError, ConnectionLostError])
async def test_a_booking_run_again_leaves_one_event(any_container: Container, monkeypatch: pytest.MonkeyPatch,
                                                    error: type[Exception]) -> None:
    people = await cast(any_container)
    losing = LosingCommits(any_container, monkeypatch)
    audit = await _watch(any_container)
    losing.arm(1, error)
    appointment = await _book(any_container, people)
    assert losing.lost == 1
    (event,) = await audit.new()
    assert (event.action, event.resource_type, event.resource_id, event.outcome) == (
        AuditAction.CREATE, ResourceType.APPOINTMENT, appointment, AuditOutcome.SUCCESS)
    await _verified(any_container)


@pytest.mark.parametrize("error", [ConcurrentChangeError, ConnectionLostError])
async def test_changes_run_again_leave_one_event_each(any_container: Container, monkeypatch: pytest.MonkeyPatch,
                                                      error: type[Exception]) -> None:
    people = await cast(any_container)
    appointment = await _book(any_container, people)
    losing = LosingCommits(any_container, monkeypatch)
    audit = await _watch(any_container)

    losing.arm(ATTEMPTS - 1, error)  # the last run commits
    await any_container.change_appointment()(people.owner, appointment, AppointmentChanges(symptoms="worse"))
    losing.arm(1, error)
    await any_container.update_patient()(people.owner, people.owner.patient_id, PatientChanges(phone="01711111111"))
    losing.arm(1, error)
    newcomer = await register(any_container)

    entries = await audit.new()
    assert [(e.action, e.resource_type, e.resource_id) for e in entries] == [
        (AuditAction.UPDATE, ResourceType.APPOINTMENT, appointment),
        (AuditAction.UPDATE, ResourceType.PATIENT, people.owner.patient_id),
        (AuditAction.CREATE, ResourceType.USER, newcomer.user_id),
    ]
    await _verified(any_container)


async def test_a_unit_that_loses_every_run_leaves_no_event(any_container: Container,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    people = await cast(any_container)
    appointment = await _book(any_container, people)
    losing = LosingCommits(any_container, monkeypatch)
    audit = await _watch(any_container)
    losing.arm(ATTEMPTS)
    with pytest.raises(ConcurrentChangeError):
        await any_container.change_appointment()(people.owner, appointment, AppointmentChanges(symptoms="worse"))
    assert losing.lost == ATTEMPTS
    assert await audit.new() == []  # nothing changed; a lost race is no refusal
    await any_container.change_appointment()(people.owner, appointment, AppointmentChanges(symptoms="worse"))
    assert [e.action for e in await audit.new()] == [AuditAction.UPDATE]
    await _verified(any_container)


@pytest.mark.parametrize("any_container", ["memory"], indirect=True)
async def test_a_real_lost_race_leaves_one_event_per_committed_change(any_container: Container,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    people = await cast(any_container)
    appointment = await _book(any_container, people)
    losing = LosingCommits(any_container, monkeypatch)
    audit = await _watch(any_container)

    async def admin_changes_it_first() -> None:
        await any_container.change_appointment()(people.admin, appointment, AppointmentChanges(symptoms="first"))

    # The owner's first run loads the appointment, then the admin's change commits before its COMMIT.
    losing.arm(1, competitor=admin_changes_it_first)
    await any_container.change_appointment()(people.owner, appointment, AppointmentChanges(symptoms="worse"))
    assert losing.raced
    entries = await audit.new()
    assert [(e.action, e.actor_user_id) for e in entries] == [
        (AuditAction.UPDATE, people.admin.user_id), (AuditAction.UPDATE, people.owner.user_id)]
    row = await any_container.get_appointment()(people.admin, appointment)
    assert row.symptoms == "worse"
    await _verified(any_container)
