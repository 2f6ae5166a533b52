"""Appointments' bookings, changes (each movement its own action), deletes and refused attempts are audited."""

from __future__ import annotations

import pytest

from hospital.application.appointments import AppointmentChanges, Booking
from hospital.domain.audit import ActorRole, AuditAction, AuditOutcome, ResourceType
from hospital.domain.errors import DomainError
from tests.support.audit_watch import AuditWatch
from tests.support.clinic import cast


@pytest.fixture
async def people(container):
    return await cast(container)


@pytest.fixture
async def booked(container, people):
    row = await container.book_appointment()(people.owner, Booking(
        doctor=people.doctor.doctor_id, time=people.doctor_times[0], appointment_type="Online",
        symptoms="a private complaint"))
    return row.id


@pytest.fixture
async def audit(container, people) -> AuditWatch:
    return await AuditWatch(container).start()


async def test_a_booking_is_audited_without_its_symptoms(container, people, audit):
    row = await container.book_appointment()(people.owner, Booking(
        doctor=people.doctor.doctor_id, time=people.doctor_times[1], appointment_type="Online",
        symptoms="a private complaint"))
    event = await audit.one()
    assert (event.action, event.resource_type, event.resource_id, event.patient_ids, event.actor_role) == (
        AuditAction.CREATE, ResourceType.APPOINTMENT, row.id, (people.owner.patient_id,), ActorRole.PATIENT)
    assert "private complaint" not in repr(event)


async def test_a_refused_booking_is_audited_as_invalid(container, people, audit):
    with pytest.raises(DomainError):
        await container.book_appointment()(people.owner, Booking(
            doctor=people.doctor.doctor_id, time=people.other_doctor_times[0], appointment_type="Online"))
    event = await audit.one()
    assert (event.action, event.outcome, event.patient_ids) == (
        AuditAction.CREATE, AuditOutcome.INVALID, (people.owner.patient_id,))


async def test_each_movement_of_a_change_is_its_own_event(container, people, booked, audit):
    change = container.change_appointment()
    await change(people.owner, booked, AppointmentChanges(symptoms="worse", time=people.doctor_times[1]))
    assert [e.action for e in await audit.new()] == [AuditAction.UPDATE, AuditAction.RESCHEDULE]
    await change(people.owner, booked, AppointmentChanges(cancel=True))
    assert (await audit.one()).action is AuditAction.CANCEL
    second = (await container.book_appointment()(people.owner, Booking(
        doctor=people.doctor.doctor_id, time=people.doctor_times[0], appointment_type="Online"))).id
    await audit.new()
    await change(people.doctor, second, AppointmentChanges(appointment_status="Runing"))
    event = await audit.one()
    assert (event.action, event.actor_role, event.patient_ids) == (
        AuditAction.STATUS_CHANGE, ActorRole.DOCTOR, (people.owner.patient_id,))
    await change(people.owner, booked, AppointmentChanges())
    assert (await audit.one()).action is AuditAction.UPDATE


async def test_a_stranger_s_attempt_names_the_patient_whose_appointment_it_was(container, people, booked, audit):
    with pytest.raises(DomainError):
        await container.change_appointment()(people.other_patient, booked, AppointmentChanges(cancel=True))
    event = await audit.one()
    assert (event.action, event.outcome, event.resource_id, event.patient_ids, event.actor_user_id) == (
        AuditAction.UPDATE, AuditOutcome.NOT_FOUND, booked, (people.owner.patient_id,), people.other_patient.user_id)
    with pytest.raises(DomainError):
        await container.delete_appointment()(people.other_doctor, booked)
    assert (await audit.one()).outcome is AuditOutcome.NOT_FOUND


async def test_a_delete_is_audited(container, people, booked, audit):
    await container.delete_appointment()(people.admin, booked)
    event = await audit.one()
    assert (event.action, event.resource_id, event.patient_ids, event.actor_role) == (
        AuditAction.DELETE, booked, (people.owner.patient_id,), ActorRole.ADMIN)


async def test_an_unknown_appointment_is_audited_as_not_found(container, people, audit):
    with pytest.raises(DomainError):
        await container.delete_appointment()(people.owner, 9999)
    event = await audit.one()
    assert (event.outcome, event.resource_id, event.patient_ids) == (AuditOutcome.NOT_FOUND, 9999, ())
