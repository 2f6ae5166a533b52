"""Patient records' changes and refused attempts are audited: right action, patient, outcome and actor."""

from __future__ import annotations

import pytest

from hospital.application.actor import ANONYMOUS
from hospital.application.patients import PatientChanges
from hospital.application.request_context import calling_from
from hospital.domain.audit import ActorRole, AuditAction, AuditOutcome, RequestContext, ResourceType
from hospital.domain.errors import DomainError
from tests.support.audit_watch import AuditWatch
from tests.support.clinic import cast


@pytest.fixture
async def people(container):
    return await cast(container)


@pytest.fixture
async def audit(container, people) -> AuditWatch:
    return await AuditWatch(container).start()


async def test_an_update_is_audited_with_the_patient_the_actor_and_where_it_came_from(container, people, audit):
    context = RequestContext("203.0.113.9", "req-42", "curl/8")
    with calling_from(context):
        await container.update_patient()(people.owner, people.owner.patient_id, PatientChanges(phone="01711111111"))
    event = await audit.one()
    assert (event.action, event.resource_type, event.resource_id, event.patient_ids, event.outcome) == (
        AuditAction.UPDATE, ResourceType.PATIENT, people.owner.patient_id, (people.owner.patient_id,),
        AuditOutcome.SUCCESS)
    assert (event.actor_user_id, event.actor_role, event.context) == (people.owner.user_id, ActorRole.PATIENT, context)
    assert "01711111111" not in repr(event)


@pytest.mark.parametrize(("name", "outcome"), [
    ("other_patient", AuditOutcome.NOT_FOUND), ("anonymous", AuditOutcome.DENIED)])
async def test_refused_updates_are_audited(container, people, audit, name, outcome):
    actor = ANONYMOUS if name == "anonymous" else people.by_name(name)
    with pytest.raises(DomainError):
        await container.update_patient()(actor, people.owner.patient_id, PatientChanges(phone="01711111111"))
    event = await audit.one()
    assert (event.action, event.patient_ids, event.outcome, event.actor_user_id) == (
        AuditAction.UPDATE, (people.owner.patient_id,), outcome, actor.user_id)


async def test_an_invalid_update_is_audited_as_invalid(container, people, audit):
    with pytest.raises(DomainError):
        await container.update_patient()(people.owner, people.owner.patient_id, PatientChanges(phone="not a phone"))
    event = await audit.one()
    assert (event.action, event.outcome, event.patient_ids) == (
        AuditAction.UPDATE, AuditOutcome.INVALID, (people.owner.patient_id,))


async def test_a_delete_and_a_refused_delete_are_audited(container, people, audit):
    with pytest.raises(DomainError):
        await container.delete_patient()(people.doctor, people.owner.patient_id)
    refused = await audit.one()
    assert (refused.action, refused.outcome, refused.actor_role) == (
        AuditAction.DELETE, AuditOutcome.NOT_FOUND, ActorRole.DOCTOR)
    await container.delete_patient()(people.admin, people.owner.patient_id)
    event = await audit.one()
    assert (event.action, event.outcome, event.patient_ids, event.actor_role) == (
        AuditAction.DELETE, AuditOutcome.SUCCESS, (people.owner.patient_id,), ActorRole.ADMIN)


async def test_creating_a_record_is_audited_and_a_second_one_refused(container, people, audit):
    patient_id = people.owner.patient_id
    await container.delete_patient()(people.owner, patient_id)
    await audit.new()
    row = await container.create_patient()(people.owner, PatientChanges())
    event = await audit.one()
    assert (event.action, event.resource_id, event.patient_ids) == (AuditAction.CREATE, row.id, (row.id,))
    with pytest.raises(DomainError):
        await container.create_patient()(people.owner, PatientChanges())
    assert (await audit.one()).outcome is AuditOutcome.INVALID
