"""Reads of patient-linked data are audited by the use cases themselves (so Python callers too): one
event per item read naming its patient, one per list call naming exactly the patients it returned
(with its filters), and refused reads with their outcome and, when the use case found it, whose
record it was."""

from __future__ import annotations

import pytest

from hospital.application.actor import ANONYMOUS
from hospital.application.appointments import Booking
from hospital.application.contacts import ContactChanges
from hospital.application.pagination import PageRequest
from hospital.application.patients import PHONE_WITHHELD, PatientChanges
from hospital.application.request_context import calling_from
from hospital.application.reviews import ReviewDraft, ReviewQuery
from hospital.domain.audit import ActorRole, AuditAction, AuditEntry, AuditOutcome, RequestContext, ResourceType
from hospital.domain.errors import DomainError
from tests.support.audit_watch import AuditWatch
from tests.support.clinic import cast

PAGE = PageRequest()
READ, SEARCH = AuditAction.READ, AuditAction.SEARCH
SUCCESS, DENIED, NOT_FOUND = AuditOutcome.SUCCESS, AuditOutcome.DENIED, AuditOutcome.NOT_FOUND


@pytest.fixture
async def people(container):
    return await cast(container)


@pytest.fixture
async def booked(container, people) -> int:
    """The owner's appointment with the doctor (so the doctor treats the owner)."""
    row = await container.book_appointment()(people.owner, Booking(
        doctor=people.doctor.doctor_id, time=people.doctor_times[0], appointment_type="Online",
        symptoms="a private complaint"))
    return row.id


@pytest.fixture
async def audit(container, people, booked) -> AuditWatch:
    return await AuditWatch(container).start()


def described(event: AuditEntry) -> tuple:
    return (event.action, event.resource_type, event.resource_id, event.patient_ids, event.outcome,
            event.actor_user_id, event.actor_role)


# ------------------------------------------------------------------ patients

async def test_reading_a_patient_record_names_the_patient_the_actor_and_where_it_came_from(container, people, audit):
    context = RequestContext("203.0.113.9", "req-7", "curl/8")
    owner = people.owner
    with calling_from(context):
        row = await container.get_patient()(owner, owner.patient_id)
    event = await audit.one()
    assert described(event) == (READ, ResourceType.PATIENT, row.id, (owner.patient_id,), SUCCESS, owner.user_id,
                                ActorRole.PATIENT)
    assert event.context == context


async def test_a_treating_doctor_s_read_is_audited_as_the_doctor_s(container, people, audit):
    await container.get_patient()(people.doctor, people.owner.patient_id)
    event = await audit.one()
    assert (event.patient_ids, event.actor_user_id, event.actor_role, event.outcome) == (
        (people.owner.patient_id,), people.doctor.user_id, ActorRole.DOCTOR, SUCCESS)


@pytest.mark.parametrize(("name", "outcome"), [("other_patient", NOT_FOUND), ("other_doctor", NOT_FOUND),
                                               ("anonymous", DENIED)])
async def test_refused_reads_of_a_patient_record_name_that_patient(container, people, audit, name, outcome):
    actor = ANONYMOUS if name == "anonymous" else people.by_name(name)
    with pytest.raises(DomainError):
        await container.get_patient()(actor, people.owner.patient_id)
    event = await audit.one()
    assert described(event) == (READ, ResourceType.PATIENT, people.owner.patient_id, (people.owner.patient_id,),
                                outcome, actor.user_id, ActorRole.of(actor))


async def test_an_id_no_record_can_have_is_refused_and_recorded_without_it(container, people, audit):
    with pytest.raises(DomainError):
        await container.get_patient()(people.admin, 2**70)
    event = await audit.one()
    assert (event.action, event.outcome, event.resource_id, event.patient_ids) == (READ, NOT_FOUND, None, ())


async def test_a_patient_list_names_exactly_the_patients_it_returned(container, people, audit):
    every = await container.list_patients()(people.admin, page=PageRequest(limit=3))
    event = await audit.one()
    assert described(event) == (SEARCH, ResourceType.PATIENT, None, tuple(sorted(r.id for r in every.items)),
                                SUCCESS, people.admin.user_id, ActorRole.ADMIN)
    assert len(every.items) == 3 < every.total  # a page: the others were not returned, so not named
    mine = await container.list_patients()(people.doctor, page=PAGE)
    event = await audit.one()
    assert {row.id for row in mine.items} == {people.owner.patient_id, people.doctor.patient_id}
    assert event.patient_ids == tuple(sorted(row.id for row in mine.items))


async def test_a_patient_list_records_its_filters_but_never_a_phone_number(container, people, audit):
    await container.update_patient()(people.owner, people.owner.patient_id, PatientChanges(phone="01711111111"))
    await audit.new()
    found = await container.list_patients()(people.admin, page=PAGE, search=" user ", phone="01711111111")
    event = await audit.one()
    assert [row.id for row in found.items] == [people.owner.patient_id]
    assert event.patient_ids == (people.owner.patient_id,)
    assert dict(event.filters) == {"search": " user ", "phone": PHONE_WITHHELD}
    assert "01711111111" not in repr(event)


async def test_an_anonymous_patient_list_is_refused_and_recorded(container, people, audit):
    with pytest.raises(DomainError):
        await container.list_patients()(ANONYMOUS, page=PAGE)
    event = await audit.one()
    assert (event.action, event.outcome, event.patient_ids, event.actor_role) == (
        SEARCH, DENIED, (), ActorRole.ANONYMOUS)


async def test_a_page_past_the_end_is_a_refused_list(container, people, audit):
    with pytest.raises(DomainError):
        await container.list_patients()(people.owner, page=PageRequest(page=5))
    assert (await audit.one()).outcome is NOT_FOUND


# ------------------------------------------------------------------ appointments

async def test_reading_an_appointment_names_its_patient_and_no_clinical_value(container, people, audit, booked):
    await container.get_appointment()(people.doctor, booked)
    event = await audit.one()
    assert described(event) == (READ, ResourceType.APPOINTMENT, booked, (people.owner.patient_id,), SUCCESS,
                                people.doctor.user_id, ActorRole.DOCTOR)
    assert "private complaint" not in repr(event)


@pytest.mark.parametrize(("name", "outcome"), [("other_patient", NOT_FOUND), ("other_doctor", NOT_FOUND),
                                               ("anonymous", DENIED)])
async def test_a_refused_appointment_read_names_whose_appointment_it_was(container, people, audit, booked, name,
                                                                        outcome):
    actor = ANONYMOUS if name == "anonymous" else people.by_name(name)
    with pytest.raises(DomainError):
        await container.get_appointment()(actor, booked)
    event = await audit.one()
    assert described(event) == (READ, ResourceType.APPOINTMENT, booked, (people.owner.patient_id,), outcome,
                                actor.user_id, ActorRole.of(actor))


async def test_reading_an_appointment_that_does_not_exist_names_nobody(container, people, audit):
    with pytest.raises(DomainError):
        await container.get_appointment()(people.admin, 987654)
    event = await audit.one()
    assert (event.action, event.outcome, event.resource_id, event.patient_ids) == (READ, NOT_FOUND, 987654, ())


async def test_an_appointment_list_names_exactly_the_patients_it_returned(container, people, audit):
    await container.book_appointment()(people.other_patient, Booking(
        doctor=people.other_doctor.doctor_id, time=people.other_doctor_times[0], appointment_type="Online"))
    await audit.new()
    everything = await container.list_appointments()(people.admin, page=PAGE)
    assert (await audit.one()).patient_ids == (people.owner.patient_id, people.other_patient.patient_id)
    assert len(everything.items) == 2
    theirs = await container.list_appointments()(people.doctor, page=PAGE, doctor_id=people.doctor.doctor_id)
    event = await audit.one()
    assert [row.patient for row in theirs.items] == [people.owner.patient_id]
    assert (event.action, event.resource_type, event.patient_ids, event.actor_role) == (
        SEARCH, ResourceType.APPOINTMENT, (people.owner.patient_id,), ActorRole.DOCTOR)
    assert dict(event.filters) == {"doctor": str(people.doctor.doctor_id)}
    await container.list_appointments()(people.other_patient, page=PAGE, patient_id=people.owner.patient_id)
    empty = await audit.one()
    assert (empty.patient_ids, empty.outcome, dict(empty.filters)) == (
        (), SUCCESS, {"patient": str(people.owner.patient_id)})


# ------------------------------------------------------------------ profiles

async def _profile_of(container, actor) -> int:
    return (await container.get_my_profile()(actor)).id


async def test_profile_reads_name_the_patient_whose_profile_it_is(container, people, audit):
    profile = await _profile_of(container, people.owner)
    mine = await audit.one()
    assert described(mine) == (READ, ResourceType.PROFILE, profile, (people.owner.patient_id,), SUCCESS,
                               people.owner.user_id, ActorRole.PATIENT)
    await container.get_profile()(people.admin, profile)
    event = await audit.one()
    assert described(event) == (READ, ResourceType.PROFILE, profile, (people.owner.patient_id,), SUCCESS,
                                people.admin.user_id, ActorRole.ADMIN)
    with pytest.raises(DomainError):
        await container.get_profile()(people.other_patient, profile)
    refused = await audit.one()
    assert described(refused) == (READ, ResourceType.PROFILE, profile, (people.owner.patient_id,), NOT_FOUND,
                                  people.other_patient.user_id, ActorRole.PATIENT)


async def test_a_missing_own_profile_is_a_refused_read_of_the_caller_s_record(container, people, audit):
    profile = await _profile_of(container, people.owner)
    await container.delete_profile()(people.owner, profile)
    await audit.new()
    with pytest.raises(DomainError):
        await container.get_my_profile()(people.owner)
    event = await audit.one()
    assert (event.action, event.outcome, event.patient_ids) == (READ, NOT_FOUND, (people.owner.patient_id,))


async def test_a_profile_list_names_the_patients_of_the_profiles_it_returned(container, people, audit):
    page = await container.list_profiles()(people.admin, page=PAGE, search="user")
    event = await audit.one()
    assert page.items and all(view.patient_id is not None for view in page.items)
    assert event.patient_ids == tuple(sorted(view.patient_id for view in page.items))
    assert (event.action, event.resource_type, dict(event.filters)) == (SEARCH, ResourceType.PROFILE,
                                                                       {"search": "user"})
    await container.list_profiles()(people.owner, page=PAGE)
    assert (await audit.one()).patient_ids == (people.owner.patient_id,)


# ------------------------------------------------------------------ reviews and contact requests

async def test_review_reads_name_their_author_even_for_anonymous_readers(container, people, audit):
    view = await container.create_review()(people.owner, ReviewDraft(
        doctor=people.doctor.doctor_id, body="Kind and thorough.", rating=5))
    await audit.new()
    await container.get_review()(ANONYMOUS, view.id)
    event = await audit.one()
    assert described(event) == (READ, ResourceType.REVIEW, view.id, (people.owner.patient_id,), SUCCESS, None,
                                ActorRole.ANONYMOUS)
    assert "thorough" not in repr(event)
    listed = await container.list_reviews()(ANONYMOUS, page=PAGE, query=ReviewQuery(doctor=people.doctor.doctor_id))
    event = await audit.one()
    assert [item.reviewer_id for item in listed.items] == [people.owner.patient_id]
    assert (event.action, event.patient_ids, dict(event.filters)) == (
        SEARCH, (people.owner.patient_id,), {"doctor": str(people.doctor.doctor_id)})
    with pytest.raises(DomainError):
        await container.get_review()(ANONYMOUS, 424242)
    assert (await audit.one()).outcome is NOT_FOUND
    with pytest.raises(DomainError):
        await container.list_reviews()(ANONYMOUS, page=PAGE, query=ReviewQuery(rating="eleven"))
    assert (await audit.one()).outcome is AuditOutcome.INVALID


async def test_contact_request_reads_are_audited_and_refused_to_non_admins(container, people, audit):
    contact = await container.submit_contact()(people.owner, ContactChanges(
        name="Ada", phone="+8801712", massage="Please call me about my results."))
    await audit.new()
    await container.get_contact()(people.admin, contact.id)
    event = await audit.one()
    assert described(event) == (READ, ResourceType.CONTACT, contact.id, (), SUCCESS, people.admin.user_id,
                                ActorRole.ADMIN)
    assert "results" not in repr(event)
    await container.list_contacts()(people.admin)
    assert (await audit.one()).action is SEARCH
    with pytest.raises(DomainError):
        await container.get_contact()(people.owner, contact.id)
    refused = await audit.one()
    assert (refused.outcome, refused.resource_id, refused.actor_user_id) == (DENIED, contact.id, people.owner.user_id)
    with pytest.raises(DomainError):
        await container.list_contacts()(ANONYMOUS)
    assert (await audit.one()).outcome is DENIED


# ------------------------------------------------------------------ reads off

async def test_with_reads_off_successful_reads_are_not_recorded_but_refusals_are(container, people, audit, booked):
    container.audit_log().mode = "off"
    await container.get_appointment()(people.owner, booked)
    await container.list_patients()(people.admin, page=PAGE)
    assert await audit.new() == []
    with pytest.raises(DomainError):
        await container.get_appointment()(people.other_patient, booked)
    assert (await audit.one()).outcome is NOT_FOUND
