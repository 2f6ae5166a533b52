"""Reviews written by patients, contact requests and profiles: changes and refused attempts are audited,
never with a review's text or a message's content."""

from __future__ import annotations

import pytest

from hospital.application.actor import ANONYMOUS
from hospital.application.contacts import ContactChanges
from hospital.application.profiles import ProfileChanges
from hospital.application.reviews import ReviewChanges, ReviewDraft
from hospital.domain.audit import ActorRole, AuditAction, AuditOutcome, ResourceType
from hospital.domain.errors import DomainError
from tests.support.audit_watch import AuditWatch
from tests.support.clinic import cast


@pytest.fixture
async def people(container):
    return await cast(container)


@pytest.fixture
async def audit(container, people) -> AuditWatch:
    return await AuditWatch(container).start()


async def test_a_review_s_life_is_audited_as_its_author_s_data(container, people, audit):
    view = await container.create_review()(people.owner, ReviewDraft(
        doctor=people.doctor.doctor_id, body="Kind and thorough.", rating=5))
    event = await audit.one()
    assert (event.action, event.resource_type, event.resource_id, event.patient_ids) == (
        AuditAction.CREATE, ResourceType.REVIEW, view.id, (people.owner.patient_id,))
    assert "thorough" not in repr(event)
    with pytest.raises(DomainError):
        await container.update_review()(people.other_patient, view.id, ReviewChanges(rating=1))
    refused = await audit.one()
    assert (refused.action, refused.outcome, refused.patient_ids, refused.actor_user_id) == (
        AuditAction.UPDATE, AuditOutcome.DENIED, (people.owner.patient_id,), people.other_patient.user_id)
    await container.update_review()(people.owner, view.id, ReviewChanges(rating=4))
    assert (await audit.one()).action is AuditAction.UPDATE
    await container.delete_review()(people.admin, view.id)
    event = await audit.one()
    assert (event.action, event.actor_role, event.patient_ids) == (
        AuditAction.DELETE, ActorRole.ADMIN, (people.owner.patient_id,))


async def test_a_non_patient_s_review_is_refused_and_audited(container, people, audit):
    with pytest.raises(DomainError):
        await container.create_review()(ANONYMOUS, ReviewDraft(doctor=people.doctor.doctor_id, body="x", rating=5))
    assert (await audit.one()).outcome is AuditOutcome.DENIED


async def test_contact_requests_are_audited_without_their_message(container, people, audit):
    message = ContactChanges(name="Ada", phone="+8801712", massage="Please call me about my results.")
    contact = await container.submit_contact()(people.owner, message)
    event = await audit.one()
    assert (event.action, event.resource_type, event.resource_id, event.patient_ids) == (
        AuditAction.CREATE, ResourceType.CONTACT, contact.id, (people.owner.patient_id,))
    assert "results" not in repr(event) and "+8801712" not in repr(event)
    await container.submit_contact()(ANONYMOUS, message)
    assert (await audit.one()).patient_ids == ()
    with pytest.raises(DomainError):
        await container.delete_contact()(people.owner, contact.id)
    assert (await audit.one()).outcome is AuditOutcome.DENIED
    await container.update_contact()(people.admin, contact.id, ContactChanges(name="Ada L."), partial=True)
    assert (await audit.one()).action is AuditAction.UPDATE
    await container.delete_contact()(people.admin, contact.id)
    assert (await audit.one()).action is AuditAction.DELETE


async def test_profiles_are_audited_as_their_user_s_patient_data(container, people, audit):
    profile = await container.get_my_profile()(people.owner)
    profile_id = profile.id
    await audit.new()
    with pytest.raises(DomainError):
        await container.update_profile()(people.other_patient, profile_id, ProfileChanges(bio="hacked"))
    refused = await audit.one()
    assert (refused.action, refused.outcome, refused.patient_ids) == (
        AuditAction.UPDATE, AuditOutcome.NOT_FOUND, (people.owner.patient_id,))
    await container.update_profile()(people.owner, profile_id, ProfileChanges(bio="Hello"))
    event = await audit.one()
    assert (event.action, event.resource_type, event.resource_id, event.patient_ids) == (
        AuditAction.UPDATE, ResourceType.PROFILE, profile_id, (people.owner.patient_id,))
    await container.delete_profile()(people.owner, profile_id)
    assert (await audit.one()).action is AuditAction.DELETE
    created = await container.create_profile()(people.owner, ProfileChanges(bio="Again"))
    event = await audit.one()
    assert (event.action, event.resource_id, event.patient_ids) == (
        AuditAction.CREATE, created.id, (people.owner.patient_id,))
